/**
 * Debian's Chromium, which the report's browser test drives (browsers cannot be downloaded here,
 * only Debian packages). `.ci/run` installs it; `npm test` never changes the system, and without
 * it the browser test reports itself skipped with this path as the reason.
 */
export const CHROMIUM = "/usr/bin/chromium"
