/**
 * Vitest global setup: one compiled-graph cache for the whole run, shared by every worker, temp
 * project and spawned `mdp` (the key is the project's content and vars, so identical projects
 * compile once), removed at the end. It changes nothing outside the temp folder.
 */
import { mkdtempSync, rmSync } from "node:fs"
import os from "node:os"
import path from "node:path"

export default function setup(): () => void {
  const folder = mkdtempSync(path.join(os.tmpdir(), "mdp-compile-cache-"))
  process.env["MDP_COMPILE_CACHE"] = folder
  return () => rmSync(folder, { recursive: true, force: true })
}
