/**
 * Translations kept on disk between processes. Loading polyglot costs about 0.6 s of every
 * command that translates (a transform, the report, status, a query), while the statements it is
 * asked for rarely change between runs. The cache is keyed by the translator itself: polyglot's
 * version and the text of our translation modules, so any change to either starts a new cache.
 * A cache that cannot be read or written costs only the time it would have saved.
 */
import { createHash } from "node:crypto"
import path from "node:path"
import { Effect, FileSystem } from "effect"
import { restoreTranslations, translationsKnown } from "./translate.ts"

// The node_modules polyglot is loaded from (this repository's).
const nodeModules = path.join(import.meta.dirname, "..", "node_modules")

/** `$MDP_TRANSLATION_CACHE`, else node_modules/.cache/mdp-translate. */
const cacheFolder = (): string => {
  const configured = process.env["MDP_TRANSLATION_CACHE"]
  return configured !== undefined && configured !== "" ? configured : path.join(nodeModules, ".cache", "mdp-translate")
}

export const translatorFiles = [
  path.join(nodeModules, "@polyglot-sql", "sdk", "package.json"),
  // translate.ts and every module it imports (test/translation-cache.test.ts checks the list).
  ...["translate.ts", "sql-tokens.ts", "bigquery-syntax.ts", "cast-format.ts", "javascript-udf.ts", "builtin-functions.ts", "wasm-tiering.ts", "list-aggregates.ts", "shared-json-extraction.ts", "aliased-unnest.ts", "target.ts", "table-constraints.ts", "partitions.ts", "format-values.ts", "json-functions.ts", "string-functions.ts", "number-format.ts", "net-functions.ts", "ranges.ts", "set-operations-by-name.ts", "source-types.ts", "insert-types.ts", "export-data.ts", "load-data.ts", "statement-options.ts"].map((file) => path.join(import.meta.dirname, file))
]

const translatorKey = (fs: FileSystem.FileSystem) =>
  Effect.gen(function* () {
    const digest = createHash("sha256")
    for (const file of translatorFiles) digest.update(yield* fs.readFile(file))
    return digest.digest("hex").slice(0, 24)
  })

const isEntries = (value: unknown): value is ReadonlyArray<readonly [string, ReadonlyArray<string>]> =>
  Array.isArray(value) &&
  value.every((entry) => Array.isArray(entry) && entry.length === 2 && typeof entry[0] === "string" && Array.isArray(entry[1]) && entry[1].every((s) => typeof s === "string"))

/**
 * Runs `program` with the translations of earlier processes at hand, and keeps its new ones for
 * the next. Written under a temporary name and renamed: a concurrent reader sees a whole file.
 */
export const withTranslationCache = <A, E, R>(program: Effect.Effect<A, E, R>): Effect.Effect<A, E, R | FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const folder = cacheFolder()
    const file = yield* translatorKey(fs).pipe(
      Effect.map((key) => path.join(folder, `${key}.json`)),
      Effect.orElseSucceed(() => undefined)
    )
    if (file === undefined) return yield* program
    const text = yield* fs.readFileString(file).pipe(Effect.orElseSucceed(() => "[]"))
    yield* Effect.sync(() => {
      try {
        const parsed: unknown = JSON.parse(text)
        if (isEntries(parsed)) restoreTranslations(parsed)
      } catch {
        // A damaged cache is an empty one.
      }
    })
    const save = Effect.gen(function* () {
      const { entries, added } = translationsKnown()
      if (added === 0) return
      yield* fs.makeDirectory(folder, { recursive: true })
      const temporary = `${file}.${process.pid}.tmp`
      yield* fs.writeFileString(temporary, JSON.stringify(entries))
      yield* fs.rename(temporary, file)
    }).pipe(Effect.ignore)
    return yield* program.pipe(Effect.ensuring(save))
  })
