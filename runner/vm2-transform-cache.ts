/**
 * A disk cache for the Dataform compile workers' sandbox (`compile-worker-preload.ts` installs it
 * before the CLI's worker bundle loads vm2). vm2 instruments every module it loads into the
 * sandbox by parsing it with acorn; @dataform/core's bundle (770 KB), loaded twice per compile,
 * took about 0.8 s of each compile's 0.9 s for a one-file project. The instrumentation is a
 * function of the code alone, so the results for large modules are kept on disk by content hash
 * and read back instead of parsed again. Any failure of the cache falls back to vm2's own
 * transform: it can make a compile slower, never different.
 */
import { createHash } from "node:crypto"
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import path from "node:path"

export interface Transformed {
  readonly code: string
  readonly hasAsync: boolean
}

export type Transformer = (args: string | null, body: string, isAsync: boolean, isGenerator: boolean, filename: string | undefined) => Transformed

// Smaller modules (the project's own files) parse in milliseconds and change with every edit.
export const CACHED_FROM_BYTES = 64 * 1024

const isTransformed = (value: unknown): value is Transformed =>
  typeof value === "object" && value !== null && typeof (value as Transformed).code === "string" && typeof (value as Transformed).hasAsync === "boolean"

// The CLI's worker wraps each module in `__df_enter("<its path>")`: the path is taken out of the key
// and put back, so one entry serves every project loading the same core.
const FILE_PLACEHOLDER = JSON.stringify("<mdp-vm2-module-file>")

/** `transform`, answered from `folder` for modules of CACHED_FROM_BYTES or more; `version` names the transform. */
export const cachedTransformer =
  (transform: Transformer, folder: string, version: string): Transformer =>
  (args, body, isAsync, isGenerator, filename) => {
    if (typeof body !== "string" || body.length < CACHED_FROM_BYTES || body.includes(FILE_PLACEHOLDER)) return transform(args, body, isAsync, isGenerator, filename)
    // vm2 copies string literals through untouched, so the path is a literal like any other.
    const fileLiteral = filename === undefined || filename === "" ? undefined : JSON.stringify(filename)
    const keyed = fileLiteral === undefined ? body : body.replaceAll(fileLiteral, FILE_PLACEHOLDER)
    // A function, so that a `$` in the path is not read as a replacement pattern.
    const restored = (code: string) => (fileLiteral === undefined ? code : code.replaceAll(FILE_PLACEHOLDER, () => fileLiteral))
    const key = createHash("sha256").update(`${version}\u0000${args ?? "\u0001"}\u0000${isAsync}\u0000${isGenerator}\u0000`).update(keyed).digest("hex")
    const file = path.join(folder, `${key}.json`)
    try {
      const kept: unknown = JSON.parse(readFileSync(file, "utf8"))
      if (isTransformed(kept)) return { code: restored(kept.code), hasAsync: kept.hasAsync }
    } catch {
      // Not kept yet, or unreadable: transformed again and kept anew.
    }
    // A module vm2 refuses throws here, as without the cache, and nothing is kept.
    const result = transform(args, body, isAsync, isGenerator, filename)
    const generalised = fileLiteral === undefined ? result.code : result.code.replaceAll(fileLiteral, FILE_PLACEHOLDER)
    try {
      mkdirSync(folder, { recursive: true })
      const temporary = `${file}.${process.pid}.tmp`
      writeFileSync(temporary, JSON.stringify({ code: generalised, hasAsync: result.hasAsync }))
      renameSync(temporary, file)
    } catch {
      // A folder that cannot be written only costs the next compile the same parse.
    }
    return result
  }

/** The transform cache's folder: beside the installed packages, as other tool caches are. */
export const transformCacheFolder = (cliPackage: string): string =>
  process.env["MDP_VM2_TRANSFORM_CACHE"] ?? path.join(path.dirname(path.dirname(path.dirname(cliPackage))), ".cache", "mdp-vm2-transform")

/**
 * Puts the cache in front of the transformer of the vm2 that the CLI's worker bundle loads (the
 * module instance `require` shares): its modules read `transformer` from its exports when they load.
 */
export const installTransformCache = (): void => {
  try {
    const require = createRequire(import.meta.url)
    const cliPackage = require.resolve("@dataform/cli/package.json")
    const cliRequire = createRequire(cliPackage)
    const exports = cliRequire("vm2/lib/transformer.js") as { transformer?: unknown }
    const vm2 = cliRequire("vm2/package.json") as { version?: unknown }
    if (typeof exports.transformer !== "function") return
    const transform = exports.transformer as Transformer
    const transformerSource = readFileSync(cliRequire.resolve("vm2/lib/transformer.js"))
    const version = `vm2 ${String(vm2.version)} ${createHash("sha256").update(transformerSource).digest("hex")}`
    exports.transformer = cachedTransformer(transform, transformCacheFolder(cliPackage), version)
  } catch {
    // Another vm2 layout: the worker runs as the CLI ships it.
  }
}
