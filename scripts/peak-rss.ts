/**
 * Preloaded by the bench (`node --import ./scripts/peak-rss.ts scripts/mdp.ts …`): at exit, writes
 * the process's peak resident memory in KB to $MDP_PEAK_RSS_FILE. Node reports no child's
 * resource use to its parent, and the figure must be the command's own.
 */
import { writeFileSync } from "node:fs"

const file = process.env["MDP_PEAK_RSS_FILE"]
if (file !== undefined && file !== "") process.on("exit", () => writeFileSync(file, String(process.resourceUsage().maxRSS)))
