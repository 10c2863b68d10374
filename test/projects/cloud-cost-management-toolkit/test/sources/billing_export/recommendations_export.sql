SELECT * FROM UNNEST([
  STRUCT(
    'PROJECT' AS cloud_entity_type, '123' AS cloud_entity_id, 'projects/123/locations/us-central1-a/recommenders/google.compute.instance.IdleResourceRecommender/recommendations/r1' AS name,
    'us-central1-a' AS location, 'google.compute.instance.IdleResourceRecommender' AS recommender, 'STOP_VM' AS recommender_subtype,
    ['//compute.googleapis.com/projects/p1/zones/us-central1-a/instances/vm1'] AS target_resources,
    'Save cost by stopping Idle VM [Learn more](x)' AS description, TIMESTAMP '2024-05-02 10:00:00+00' AS last_refresh_time,
    STRUCT('COST' AS category, STRUCT(STRUCT('USD' AS currency_code, -12 AS units, -500000000 AS nanos) AS cost, STRUCT(2592000 AS seconds, 0 AS nanos) AS duration, STRUCT('USD' AS currency_code, -12 AS units, 0 AS nanos) AS cost_in_local_currency, 'LIST_PRICE' AS pricing_type_name) AS cost_projection, STRUCT(CAST([] AS ARRAY<STRING>) AS risk_types, CAST(NULL AS STRING) AS details_json) AS reliability_projection) AS primary_impact,
    'P2' AS priority, 'ACTIVE' AS state, STRUCT('999' AS organization_id, ['f1'] AS folder_ids) AS ancestors,
    '{"link": "https://cloud.google.com/x"}' AS recommendation_details, TIMESTAMP '2024-05-02 00:00:00+00' AS _PARTITIONTIME
  ),
  STRUCT('PROJECT', '123', 'projects/123/recommendations/r0', 'us-central1-a', 'google.compute.instance.IdleResourceRecommender', 'STOP_VM',
    ['//compute.googleapis.com/projects/p1/zones/us-central1-a/instances/vm1'], 'older', TIMESTAMP '2024-05-01 10:00:00+00',
    STRUCT('COST', STRUCT(STRUCT('USD', -1, 0), STRUCT(1, 0), STRUCT('USD', -1, 0), 'LIST_PRICE'), STRUCT(CAST([] AS ARRAY<STRING>), CAST(NULL AS STRING))),
    'P2', 'ACTIVE', STRUCT('999', ['f1']), '{}', TIMESTAMP '2024-05-02 00:00:00+00')
])
