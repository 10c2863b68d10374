/** Platforms with staging models; their raw tables always exist, so the models compile and run. */
export const KNOWN_PLATFORMS = ["google_ads", "meta_ads", "microsoft_ads"] as const
