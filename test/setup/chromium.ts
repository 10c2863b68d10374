/**
 * Vitest global setup: makes sure Debian's Chromium is installed for the report's browser test
 * (the test drives /usr/bin/chromium; browsers cannot be downloaded here, only Debian packages).
 * Installs it with apt-get when running as root; otherwise the browser test reports why it skips.
 */
import { execFileSync } from "node:child_process"
import { existsSync } from "node:fs"

export const CHROMIUM = "/usr/bin/chromium"

export default function setup(): void {
  if (existsSync(CHROMIUM) || process.platform !== "linux" || process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get")) return
  console.log("Installing Debian's chromium for the report's browser test (apt-get)…")
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" }
  try {
    execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env })
    execFileSync("apt-get", ["install", "-y", "-qq", "chromium"], { stdio: "inherit", env })
  } catch (error) {
    // The rest of the suite must not depend on a package mirror; the browser test reports the skip.
    console.warn(`WARNING: could not install chromium (${error instanceof Error ? error.message : String(error)}); the report's browser test will be skipped.`)
  }
}
