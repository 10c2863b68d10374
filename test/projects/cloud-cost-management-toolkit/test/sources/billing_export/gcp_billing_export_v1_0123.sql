SELECT * FROM UNNEST([
  STRUCT(
    TIMESTAMP '2024-09-02 00:00:00+00' AS _PARTITIONTIME, DATE '2024-09-02' AS _PARTITIONDATE,
    '01ABCD-000000-111111' AS billing_account_id,
    STRUCT('6F81-5844-456A' AS id, 'Compute Engine' AS description) AS service,
    STRUCT('2E27-4F75-95CD' AS id, 'N1 Predefined Instance Core running in Americas' AS description) AS sku,
    TIMESTAMP '2024-09-01 08:00:00+00' AS usage_start_time, TIMESTAMP '2024-09-01 09:00:00+00' AS usage_end_time,
    STRUCT('proj-a' AS id, '111' AS number, 'Project A' AS name, [STRUCT('env' AS key, 'prod' AS value)] AS labels, '/1/2/' AS ancestry_numbers, [STRUCT('projects/111' AS resource_name, 'Project A' AS display_name), STRUCT('organizations/1', 'org')] AS ancestors) AS project,
    [STRUCT('team' AS key, 'data' AS value)] AS labels,
    [STRUCT('compute.googleapis.com/machine_spec' AS key, 'n1-standard-1' AS value)] AS system_labels,
    STRUCT('us-central1' AS location, 'US' AS country, 'us-central1' AS region, 'us-central1-a' AS zone) AS location,
    [STRUCT('env' AS key, 'prod' AS value, TRUE AS inherited, 'tagKeys/1' AS namespace)] AS tags,
    TIMESTAMP '2024-09-01 12:00:00+00' AS export_time,
    12.5 AS cost, 'USD' AS currency, 1.0 AS currency_conversion_rate,
    STRUCT(3600.0 AS amount, 'seconds' AS unit, 1.0 AS amount_in_pricing_units, 'hour' AS pricing_unit) AS usage,
    [STRUCT('Sustained use discount' AS name, -1.5 AS amount, 'SUSTAINED_USAGE_DISCOUNT' AS type, 'x' AS id, 'sud' AS full_name)] AS credits,
    STRUCT('202409' AS month) AS invoice,
    'regular' AS cost_type,
    14.0 AS cost_at_list, 12.5 AS cost_at_effective_price_default, 14.0 AS cost_at_list_consumption_model,
    STRUCT('C7BE-6B28-B9DB' AS id, 'Default' AS description) AS consumption_model,
    'GOOGLE' AS transaction_type
  ),
  STRUCT(
    TIMESTAMP '2024-09-03 00:00:00+00', DATE '2024-09-03', '01ABCD-000000-111111',
    STRUCT('95FF-2EF5-5EA1', 'Cloud Storage'), STRUCT('E5F0-6A5D-7BAD', 'Standard Storage US Multi-region'),
    TIMESTAMP '2024-09-02 08:00:00+00', TIMESTAMP '2024-09-02 09:00:00+00',
    STRUCT('proj-b', '222', 'Project B', [STRUCT('env' AS key, 'dev' AS value)], '/1/3/', [STRUCT('projects/222' AS resource_name, 'Project B' AS display_name)]),
    CAST([] AS ARRAY<STRUCT<key STRING, value STRING>>), CAST([] AS ARRAY<STRUCT<key STRING, value STRING>>),
    STRUCT('us' AS location, 'US' AS country, CAST(NULL AS STRING) AS region, CAST(NULL AS STRING) AS zone),
    CAST([] AS ARRAY<STRUCT<key STRING, value STRING, inherited BOOL, namespace STRING>>),
    TIMESTAMP '2024-09-02 12:00:00+00', 3.25, 'USD', 1.0,
    STRUCT(1e9 AS amount, 'byte-seconds' AS unit, 0.01 AS amount_in_pricing_units, 'gibibyte month' AS pricing_unit),
    CAST([] AS ARRAY<STRUCT<name STRING, amount FLOAT64, type STRING, id STRING, full_name STRING>>),
    STRUCT('202409'), 'regular', 3.25, 3.25, 3.25, STRUCT('C7BE-6B28-B9DB', 'Default'), 'GOOGLE'
  )
])
