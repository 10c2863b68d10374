/**
 * Where the protos of a project's `@dataform/core` are. Cores from 2.1 on ship `core.proto` beside
 * their bundle; 2.0.x compiled theirs into the bundle and ship none. The messages a compile
 * exchanges (CoreExecutionRequest, CoreExecutionResponse, CompiledGraph) keep their field numbers
 * across versions, so such a core is spoken to with the protos of the core this package pins.
 */
import { existsSync } from "node:fs"
import { createRequire } from "node:module"
import path from "node:path"

const pinnedCoreDir = () => path.dirname(createRequire(import.meta.url).resolve("@dataform/core/package.json"))

export const coreProtoDir = (projectDir: string): string => {
  const own = path.join(projectDir, "node_modules", "@dataform", "core")
  return existsSync(path.join(own, "core.proto")) ? own : pinnedCoreDir()
}
