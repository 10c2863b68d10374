/** Builds a throwaway Dataform project in a temp folder, with the pinned @dataform/core beside it. */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
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

// A package's folder as Node resolves it from another (some packages' exports hide package.json).
const packageFolder = (from: string, name: string): string => {
  const resolve = createRequire(path.join(from, "package.json")).resolve
  try {
    return path.dirname(resolve(`${name}/package.json`))
  } catch {
    let folder = path.dirname(resolve(name))
    while (folder !== path.dirname(folder) && (JSON.parse(existsSync(path.join(folder, "package.json")) ? readFileSync(path.join(folder, "package.json"), "utf8") : "{}") as { name?: string }).name !== name) {
      folder = path.dirname(folder)
    }
    return folder
  }
}

/**
 * Installs a @dataform/core that npm install put here under an alias (package.json: dataform-core-2,
 * dataform-core-2-0) into a project's node_modules, with what it requires, as `npm install` leaves
 * a 2.x project (the compile sandbox only loads modules from inside the project); no registry reached.
 */
export const installCore = (projectDir: string, alias: string): void => {
  const install = (from: string, as: string, seen: Set<string>) => {
    cpSync(from, path.join(projectDir, "node_modules", as), { recursive: true, dereference: true })
    const manifest = JSON.parse(readFileSync(path.join(from, "package.json"), "utf8")) as { dependencies?: Record<string, string> }
    for (const dependency of Object.keys(manifest.dependencies ?? {})) {
      if (seen.has(dependency)) continue
      seen.add(dependency)
      install(packageFolder(from, dependency), dependency, seen)
    }
  }
  install(path.dirname(createRequire(import.meta.url).resolve(`${alias}/package.json`)), "@dataform/core", new Set())
}

/**
 * A folder for MDP_DATAFORM_CORE_CACHE holding @dataform/core at `version`, from the package this
 * repository installs under `alias` (`npm:@dataform/core@version`): a project pinning that
 * dataformCoreVersion then compiles without reaching npm, as after its first compile anywhere.
 */
export const pinnedCoreCache = (alias: string, version: string): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "mdp-core-cache-"))
  const from = path.dirname(createRequire(import.meta.url).resolve(`${alias}/package.json`))
  const installed = JSON.parse(readFileSync(path.join(from, "package.json"), "utf8")) as { version?: string }
  if (installed.version !== version) throw new Error(`${alias} is @dataform/core ${installed.version ?? "?"}, not ${version}`)
  cpSync(from, path.join(dir, version, "node_modules", "@dataform", "core"), { recursive: true, dereference: true })
  return dir
}
