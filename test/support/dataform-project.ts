/** Builds a throwaway Dataform project in a temp folder, with the pinned @dataform/core beside it. */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import os from "node:os"
import path from "node:path"

const coreFolder = path.dirname(createRequire(import.meta.url).resolve("@dataform/core/package.json"))

export interface TempProject {
  readonly dir: string
  readonly warehouseFile: string
  write(file: string, content: string): void
  remove(file: string): void
  cleanup(): void
}

export const makeTempProject = (files: Readonly<Record<string, string>>, vars: Readonly<Record<string, string>> = {}): TempProject => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "mdp-project-"))
  const write = (file: string, content: string) => {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
    writeFileSync(path.join(dir, file), content)
  }
  write(
    "workflow_settings.yaml",
    [
      "defaultProject: test-project",
      "defaultLocation: EU",
      "defaultDataset: analytics",
      "defaultAssertionDataset: analytics_assertions",
      ...(Object.keys(vars).length === 0 ? [] : ["vars:", ...Object.entries(vars).map(([k, v]) => `  ${k}: ${v}`)])
    ].join("\n") + "\n"
  )
  write("package.json", JSON.stringify({ dependencies: { "@dataform/core": "3.0.62" } }))
  // The CLI loads core from the project's own node_modules, as `dataform install` would leave it.
  cpSync(coreFolder, path.join(dir, "node_modules", "@dataform", "core"), { recursive: true })
  for (const [file, content] of Object.entries(files)) write(file, content)
  return {
    dir,
    warehouseFile: path.join(dir, "data", "warehouse.duckdb"),
    write,
    remove: (file) => rmSync(path.join(dir, file), { force: true }),
    cleanup: () => rmSync(dir, { recursive: true, force: true })
  }
}
