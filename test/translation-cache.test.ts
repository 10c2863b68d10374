// Translations kept between processes: written after a command, read by the next one, and a
// damaged cache costs only time.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, FileSystem } from "effect"
import { translate } from "../runner/translate.ts"
import { translatorFiles, withTranslationCache } from "../runner/translation-cache.ts"
import { nodeFileSystem } from "./support/local-layers.ts"

const inFolder = <A, E>(folder: string, program: Effect.Effect<A, E>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const before = process.env["MDP_TRANSLATION_CACHE"]
      process.env["MDP_TRANSLATION_CACHE"] = folder
      return before
    }),
    () => withTranslationCache(program).pipe(Effect.provideService(FileSystem.FileSystem, nodeFileSystem)),
    (before) => Effect.sync(() => (before === undefined ? delete process.env["MDP_TRANSLATION_CACHE"] : (process.env["MDP_TRANSLATION_CACHE"] = before)))
  )

// translate.ts and the runner modules it imports, followed transitively.
const translatorModules = (): ReadonlyArray<string> => {
  const runner = path.join(import.meta.dirname, "..", "runner")
  const found = new Set<string>()
  const visit = (file: string) => {
    if (found.has(file)) return
    found.add(file)
    for (const [, relative] of readFileSync(path.join(runner, file), "utf8").matchAll(/^import\s+(?:[^"']*\sfrom\s+)?["']\.\/([\w-]+\.ts)["']/gm)) visit(relative!)
  }
  visit("translate.ts")
  return [...found].sort()
}

describe("the translation cache", () => {
  it("is keyed by every module the translation's code comes from, so a change to any starts a new cache", () => {
    const keyed = new Set(translatorFiles.map((file) => path.basename(file)))
    const modules = translatorModules()
    assert.isAbove(modules.length, 3)
    assert.deepStrictEqual(modules.filter((module) => !keyed.has(module)), [])
  })


  it.effect("keeps a command's new translations, and the next command answers from it", () =>
    Effect.gen(function* () {
      const folder = mkdtempSync(path.join(os.tmpdir(), "mdp-translations-"))
      const sql = `SELECT SAFE_DIVIDE(clicks, impressions) AS ctr_${Date.now()} FROM t`
      const first = yield* inFolder(folder, translate(sql, { fileName: "a.sqlx" }))
      const [file] = readdirSync(folder).filter((name) => name.endsWith(".json"))
      assert.isDefined(file, "the cache is written when the command ends")
      const entries = JSON.parse(readFileSync(path.join(folder, file!), "utf8")) as Array<[string, Array<string>]>
      const entry = entries.find(([key]) => key.endsWith(sql))
      assert.deepStrictEqual(entry?.[1], [...first])

      // What the next process reads is what it answers with (a planted answer shows it is read).
      writeFileSync(path.join(folder, file!), JSON.stringify([[entry![0], ["SELECT 'from the cache'"]]]))
      assert.deepStrictEqual(yield* inFolder(folder, translate(sql, { fileName: "a.sqlx" })), ["SELECT 'from the cache'"])

      // Damaged: ignored, and translating still works.
      writeFileSync(path.join(folder, file!), "{ not json")
      const again = yield* inFolder(folder, translate("SELECT IFNULL(a, 0) AS b FROM t", { fileName: "b.sqlx" }))
      assert.match(again[0]!, /COALESCE|IFNULL/i)
      rmSync(folder, { recursive: true, force: true })
    }))
})
