// The compile workers' vm2 transform cache, around vm2's real transformer (the CLI's own vm2): a kept
// answer is the transformer's answer, for every project path. (`test/compile.test.ts` checks the
// worker uses it on @dataform/core's bundle.)
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import os from "node:os"
import path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { CACHED_FROM_BYTES, cachedTransformer, type Transformer } from "../runner/vm2-transform-cache.ts"

const require = createRequire(import.meta.url)
const cliRequire = createRequire(require.resolve("@dataform/cli/package.json"))
const vm2Transformer = (cliRequire("vm2/lib/transformer.js") as { transformer: Transformer }).transformer
// A module large enough to be kept, with what vm2 instruments (catch clauses, async functions).
const largeModule = Array.from({ length: 1500 }, (_, i) => `async function f${i}(a) { try { return await a.g${i}("${i}") } catch (e) { return String(e) } }`).join("\n")

const folders: Array<string> = []
afterAll(() => folders.forEach((folder) => rmSync(folder, { recursive: true, force: true })))
const newFolder = () => {
  const folder = mkdtempSync(path.join(os.tmpdir(), "mdp-vm2-cache-test-"))
  folders.push(folder)
  return folder
}

// vm2's transformer, counting the parses it does.
const counted = () => {
  let calls = 0
  const transform: Transformer = (...args) => {
    calls++
    return vm2Transformer(...args)
  }
  return { transform, calls: () => calls }
}

// A cache in a folder of its own, in front of the counted transformer.
const cacheInNewFolder = () => {
  const folder = newFolder()
  const { transform, calls } = counted()
  return { folder, transform, calls, cached: cachedTransformer(transform, folder, "v1") }
}

// What the CLI's compile worker hands vm2 for a module it loads: the module inside a frame naming its path.
const framed = (file: string, code: string) => `__df_enter(${JSON.stringify(file)});\ntry {\n${code}\n} finally {\n__df_exit();\n}`

describe("vm2 transform cache", () => {
  it("answers a large module's second load from disk with what vm2 itself answers", () => {
    const { folder, calls, cached } = cacheInNewFolder()
    const first = cached(null, largeModule, false, false, "/a/node_modules/@dataform/core/bundle.js")
    const second = cached(null, largeModule, false, false, "/b/node_modules/@dataform/core/bundle.js")
    expect(calls()).toBe(1)
    expect(second).toEqual(first)
    expect(second).toEqual(vm2Transformer(null, largeModule, false, false, "/c/bundle.js"))
    expect(readdirSync(folder)).toHaveLength(1)
  })

  it("keeps one entry for a framed module whatever project path the frame names, and gives each its own path back", () => {
    const { folder, calls, cached } = cacheInNewFolder()
    const fileA = "/tmp/project-a/node_modules/@dataform/core/bundle.js"
    const fileB = '/tmp/project "b"\\x $& $1/node_modules/@dataform/core/bundle.js'
    const a = cached(null, framed(fileA, largeModule), false, false, fileA)
    const b = cached(null, framed(fileB, largeModule), false, false, fileB)
    expect(calls()).toBe(1)
    expect(a).toEqual(vm2Transformer(null, framed(fileA, largeModule), false, false, fileA))
    expect(b).toEqual(vm2Transformer(null, framed(fileB, largeModule), false, false, fileB))
    expect(b.code).toContain(`__df_enter(${JSON.stringify(fileB)})`)
    expect(readdirSync(folder)).toHaveLength(1)
  })

  it("transforms again, and keeps anew, an entry that cannot be read; another version of the transform has its own entries", () => {
    const { folder, transform, calls, cached } = cacheInNewFolder()
    const expected = cached(null, largeModule, false, false, "/x/bundle.js")
    const [entry] = readdirSync(folder)
    writeFileSync(path.join(folder, entry!), '{"code": 12')
    expect(cached(null, largeModule, false, false, "/x/bundle.js")).toEqual(expected)
    expect(calls()).toBe(2)
    expect(cached(null, largeModule, false, false, "/x/bundle.js")).toEqual(expected)
    expect(calls()).toBe(2)
    cachedTransformer(transform, folder, "v2")(null, largeModule, false, false, "/x/bundle.js")
    expect(calls()).toBe(3)
    expect(readdirSync(folder)).toHaveLength(2)
  })

  it("leaves small modules to vm2 and keeps nothing for a module vm2 refuses", () => {
    const { folder, calls, cached } = cacheInNewFolder()
    const small = "try { f() } catch (e) { g(e) }"
    expect(cached(null, small, false, false, "/small.js")).toEqual(vm2Transformer(null, small, false, false, "/small.js"))
    const broken = `${largeModule}\ntry { catch`
    expect(broken.length).toBeGreaterThanOrEqual(CACHED_FROM_BYTES)
    expect(() => cached(null, broken, false, false, "/broken.js")).toThrow(SyntaxError)
    expect(calls()).toBe(2)
    expect(readdirSync(folder)).toHaveLength(0)
  })
})
