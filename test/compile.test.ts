// Compilation: the warm compile worker answers exactly what `dataform compile --json` prints, and
// the compiled-graph cache is read, keyed by content and refreshed when a file changes.
import { execFileSync } from "node:child_process"
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import os from "node:os"
import path from "node:path"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { afterAll } from "vitest"
import { cliMessage, cliRefusesCore, compileCacheKey, compileProject, compileWithCli, type CompileOptions } from "../runner/compile.ts"
import { compileInWorker } from "../runner/compile-worker.ts"
import type { ProjectGraph } from "../runner/graph.ts"
import { makeTempProject, pinnedCoreCache } from "./support/dataform-project.ts"

const repository = path.resolve(import.meta.dirname, "..")
const cacheFolder = mkdtempSync(path.join(os.tmpdir(), "mdp-compile-test-"))
const project = makeTempProject({
  "definitions/orders.sqlx": `config { type: "table", schema: "marts", description: "Orders." }
select 1 as order_id, '\${dataform.projectConfig.vars.label}' as label`,
  "definitions/broken.sqlx": `config { type: "view" } select * from \${ref("no_such_table")}`
})
afterAll(() => {
  project.cleanup()
  rmSync(cacheFolder, { recursive: true, force: true })
})

const ordersDescription = (graph: ProjectGraph) => {
  const orders = graph.actions.find((a) => a.target.name === "orders")
  return orders?.kind === "table" ? orders.description : undefined
}

// Environment variables set for one effect and restored after it.
const withEnvironment = <A, E, R>(variables: Readonly<Record<string, string>>, effect: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const previous = Object.fromEntries(Object.keys(variables).map((name) => [name, process.env[name]]))
      Object.assign(process.env, variables)
      return previous
    }),
    () => effect,
    (previous) => Effect.sync(() => Object.entries(previous).forEach(([name, value]) => (value === undefined ? delete process.env[name] : (process.env[name] = value))))
  )

const withCache = <A, E, R>(effect: Effect.Effect<A, E, R>) => withEnvironment({ MDP_COMPILE_CACHE: cacheFolder }, effect)

describe("compiling with the CLI's own worker", () => {
  const cases: ReadonlyArray<[string, CompileOptions]> = [
    ["this repository, with vars, a schema suffix, a table prefix and a default database", { projectDir: repository, vars: { as_of: "2031-02-28", reporting_currency: "USD" }, schemaSuffix: "dev", tablePrefix: "t", defaultDatabase: "other-project" }],
    ["a project with a graph error, right after another project", { projectDir: project.dir, vars: { label: "first" } }]
  ]
  for (const [name, options] of cases) {
    it.effect(`answers what dataform compile --json prints: ${name}`, () =>
      Effect.gen(function* () {
        const [fromWorker, fromCli] = [yield* compileInWorker({ ...options, timeoutMs: 60_000 }), yield* compileWithCli(options)]
        assert.strictEqual(fromWorker, fromCli)
      }), 120_000)
  }

  it.effect("the graph's errors and vars come through, nothing kept from the compiles before", () =>
    Effect.gen(function* () {
      const graph = JSON.parse(yield* compileInWorker({ projectDir: project.dir, vars: { label: "third" }, timeoutMs: 60_000 })) as {
        graphErrors?: { compilationErrors?: ReadonlyArray<{ fileName: string; message: string }> }
        tables: ReadonlyArray<{ query: string }>
      }
      assert.include(graph.tables.map((t) => t.query).join("\n"), "'third' as label")
      assert.isTrue(graph.graphErrors?.compilationErrors?.some((e) => e.message.includes("no_such_table")), JSON.stringify(graph.graphErrors))
    }), 120_000)

  it.effect("a compile wanting the other worker (one that skips the CLI's version check) right after a compile, while the next worker still boots, is not stopped with it", () =>
    Effect.gen(function* () {
      // Each answer starts the next worker at once; asking for the other bundle then stops that one
      // while it boots, which once took down its successor too ("exited while starting").
      for (const skipVersionCheck of [false, true, false, true]) {
        const graph = JSON.parse(yield* compileInWorker({ projectDir: project.dir, vars: { label: String(skipVersionCheck) }, timeoutMs: 60_000, skipVersionCheck })) as { tables: ReadonlyArray<{ query: string }> }
        assert.include(graph.tables.map((t) => t.query).join("\n"), `'${skipVersionCheck}' as label`)
      }
    }), 120_000)
})

describe("the compile worker's vm2 transform cache", () => {
  it("a compile keeps core's sandboxed code once; another project's compile reads it and keeps nothing more", () => {
    const transforms = mkdtempSync(path.join(os.tmpdir(), "mdp-vm2-transforms-"))
    const graphs = mkdtempSync(path.join(os.tmpdir(), "mdp-graphs-"))
    const other = makeTempProject({ "definitions/other.sqlx": `config { type: "view" } select 2 as n` })
    const compile = (dir: string) =>
      execFileSync(process.execPath, [path.join(repository, "scripts", "mdp.ts"), "compile", "--project-dir", dir, "--json"], {
        env: { ...process.env, MDP_VM2_TRANSFORM_CACHE: transforms, MDP_COMPILE_CACHE: graphs },
        encoding: "utf8"
      })
    assert.include(compile(project.dir), "no_such_table")
    // Core's bundle as the index VM loads it, and as the project's VM loads it inside a frame naming its path.
    const kept = readdirSync(transforms)
    assert.lengthOf(kept, 2)
    assert.include(compile(other.dir), "select 2 as n")
    assert.deepStrictEqual(readdirSync(transforms), kept)
    other.cleanup()
    rmSync(transforms, { recursive: true, force: true })
    rmSync(graphs, { recursive: true, force: true })
  }, 60_000)
})

describe("the compiled-graph cache", () => {
  it.effect("an unchanged project is read from the cache; a changed file or var compiles again", () =>
    withCache(
      Effect.gen(function* () {
        const options = { projectDir: project.dir, vars: { label: "cached" } }
        const key = yield* compileCacheKey(project.dir, options)
        const first = yield* compileProject(options)
        assert.deepStrictEqual(readdirSync(cacheFolder), [`${key}.json`])
        // What the cache holds is what the next compile returns: edit the entry and see it come back.
        const entry = path.join(cacheFolder, `${key}.json`)
        writeFileSync(entry, readFileSync(entry, "utf8").replace('"description": "Orders."', '"description": "From the cache."'))
        const second = yield* compileProject(options)
        assert.strictEqual(ordersDescription(second), "From the cache.")
        assert.strictEqual(ordersDescription(first), "Orders.")
        // A corrupt entry is only a miss.
        writeFileSync(entry, "{ not json")
        assert.strictEqual(ordersDescription(yield* compileProject(options)), "Orders.")
        // Another var, another file's content: other keys.
        assert.notStrictEqual(yield* compileCacheKey(project.dir, { ...options, vars: { label: "other" } }), key)
        project.write("definitions/orders.sqlx", `config { type: "table", schema: "marts", description: "Orders, edited." } select 2 as order_id`)
        const edited = yield* compileProject(options)
        assert.notStrictEqual(yield* compileCacheKey(project.dir, options), key)
        assert.strictEqual(ordersDescription(edited), "Orders, edited.")
        // Local state does not miss the cache: data/ is not part of the key.
        const before = yield* compileCacheKey(project.dir, options)
        project.write("data/runs/transform-1.json", "{}")
        assert.strictEqual(yield* compileCacheKey(project.dir, options), before)
      })
    ).pipe(Effect.provide(NodeFileSystem.layer)), 120_000)
})

describe("the CLI's failure as the runner reports it", () => {
  it("keeps npm's own lines and drops the child process's stack frames and the repeated command", () => {
    // As the CLI printed it for a workflow_settings.yaml pinning a core version npm does not have.
    const printed = [
      "\u001b[31mDataform encountered an error: Command failed: npm i --ignore-scripts\u001b[39m",
      "Error: Command failed: npm i --ignore-scripts",
      "npm error code ETARGET",
      "npm error notarget No matching version found for @dataform/core@3.0.0-beta.4.",
      "",
      "    at genericNodeError (node:internal/errors:999:15)",
      "    at ChildProcess.exithandler (node:child_process:417:12)",
      "    at ChildProcess._handle.onexit (node:internal/child_process:334:5)"
    ].join("\n")
    assert.strictEqual(
      cliMessage(printed),
      "Dataform encountered an error: Command failed: npm i --ignore-scripts\nnpm error code ETARGET\nnpm error notarget No matching version found for @dataform/core@3.0.0-beta.4."
    )
    assert.strictEqual(cliMessage("definitions/a.sqlx: Unexpected token at 3:1"), "definitions/a.sqlx: Unexpected token at 3:1")
  })
})

describe("a project pinning dataformCoreVersion", () => {
  const coreCache = pinnedCoreCache("dataform-core-3-0-0", "3.0.0")
  afterAll(() => rmSync(coreCache, { recursive: true, force: true }))
  // npm pointed at a closed port and told not to retry: a compile that needed it would fail at once.
  const offline = { MDP_COMPILE_CACHE: cacheFolder, npm_config_registry: "http://127.0.0.1:9/", npm_config_fetch_retries: "0" }
  const pinnedProject = (version: string) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "mdp-pinned-"))
    writeFileSync(path.join(dir, "workflow_settings.yaml"), `defaultProject: demo\ndefaultLocation: EU\ndefaultDataset: dataform\ndataformCoreVersion: ${version}\n`)
    mkdirSync(path.join(dir, "definitions"))
    writeFileSync(path.join(dir, "definitions", "orders.sqlx"), `config { type: "table" }\nselect 1 as order_id`)
    return dir
  }

  it.effect("compiles with that core from the cache, without npm, from a copy that leaves the project untouched", () =>
    Effect.gen(function* () {
      const dir = pinnedProject("3.0.0")
      const graph = yield* withEnvironment({ ...offline, MDP_DATAFORM_CORE_CACHE: coreCache }, compileProject({ projectDir: dir }))
      assert.strictEqual(graph.compiled.dataformCoreVersion, "3.0.0")
      assert.deepStrictEqual(graph.actions.map((action) => action.target.name), ["orders"])
      // As `dataform compile` requires: no node_modules in the project itself.
      assert.deepStrictEqual(readdirSync(dir).sort(), ["definitions", "workflow_settings.yaml"])
      rmSync(dir, { recursive: true, force: true })
    }).pipe(Effect.provide(NodeFileSystem.layer)), 60_000)

  it.effect("a version not in the cache is installed by npm into it; when npm cannot, a 3.x pin compiles with the runner's own core and says so, another major fails saying why", () =>
    Effect.gen(function* () {
      const dir = pinnedProject("3.0.1")
      const cache = mkdtempSync(path.join(os.tmpdir(), "mdp-core-cache-empty-"))
      const compileCache = mkdtempSync(path.join(os.tmpdir(), "mdp-compile-cache-"))
      const graph = yield* withEnvironment({ ...offline, MDP_COMPILE_CACHE: compileCache, MDP_DATAFORM_CORE_CACHE: cache }, compileProject({ projectDir: dir }))
      const own = createRequire(import.meta.url)("@dataform/core/package.json").version
      assert.strictEqual(graph.compiled.dataformCoreVersion, own)
      assert.strictEqual(graph.coreNote, `the project pins @dataform/core 3.0.1, which npm could not install here; it compiled with ${own}, the runner's own`)
      assert.deepStrictEqual(graph.actions.map((action) => action.target.name), ["orders"])
      // Nothing half-installed is left to be read next time, and no graph of another core is kept.
      assert.deepStrictEqual(readdirSync(cache), [])
      assert.deepStrictEqual(readdirSync(compileCache), [])
      writeFileSync(path.join(dir, "workflow_settings.yaml"), readFileSync(path.join(dir, "workflow_settings.yaml"), "utf8").replace("3.0.1", "2.9.9"))
      const error = yield* Effect.flip(withEnvironment({ ...offline, MDP_COMPILE_CACHE: compileCache, MDP_DATAFORM_CORE_CACHE: cache }, compileProject({ projectDir: dir })))
      assert.include(error.message, `the project pins dataformCoreVersion 2.9.9, which npm could not install into ${path.join(cache, "2.9.9")}`)
      assert.match(error.message, /npm error code E[A-Z]+/)
      rmSync(dir, { recursive: true, force: true })
      rmSync(cache, { recursive: true, force: true })
      rmSync(compileCache, { recursive: true, force: true })
    }).pipe(Effect.provide(NodeFileSystem.layer)), 60_000)

  it.effect("a package.json declaring only @dataform/core, not installed, compiles as a pinned project; with other dependencies it still asks for npm install", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(path.join(os.tmpdir(), "mdp-declared-core-"))
      writeFileSync(path.join(dir, "workflow_settings.yaml"), "defaultProject: demo\ndefaultLocation: EU\ndefaultDataset: dataform\n")
      mkdirSync(path.join(dir, "definitions"))
      writeFileSync(path.join(dir, "definitions", "orders.sqlx"), `config { type: "table" }\nselect 1 as order_id`)
      const own = createRequire(import.meta.url)("@dataform/core/package.json").version as string
      const cache = mkdtempSync(path.join(os.tmpdir(), "mdp-core-cache-empty-"))
      // The runner's own version: compiled with it, without npm (nothing installed) and without a note.
      writeFileSync(path.join(dir, "package.json"), JSON.stringify({ dependencies: { "@dataform/core": own } }))
      const same = yield* withEnvironment({ ...offline, MDP_DATAFORM_CORE_CACHE: cache }, compileProject({ projectDir: dir }))
      assert.strictEqual(same.compiled.dataformCoreVersion, own)
      assert.isUndefined(same.coreNote)
      assert.deepStrictEqual(readdirSync(cache), [])
      // From the cache holding 3.0.0, without npm.
      writeFileSync(path.join(dir, "package.json"), JSON.stringify({ dependencies: { "@dataform/core": "3.0.0" } }))
      const graph = yield* withEnvironment({ ...offline, MDP_DATAFORM_CORE_CACHE: coreCache }, compileProject({ projectDir: dir }))
      assert.strictEqual(graph.compiled.dataformCoreVersion, "3.0.0")
      assert.deepStrictEqual(graph.actions.map((action) => action.target.name), ["orders"])
      assert.deepStrictEqual(readdirSync(dir).sort(), ["definitions", "package.json", "workflow_settings.yaml"])
      // A version npm cannot install here: the runner's own core, saying so.
      writeFileSync(path.join(dir, "package.json"), JSON.stringify({ dependencies: { "@dataform/core": "3.0.1" } }))
      const fallback = yield* withEnvironment({ ...offline, MDP_DATAFORM_CORE_CACHE: cache }, compileProject({ projectDir: dir }))
      assert.strictEqual(fallback.coreNote, `the project pins @dataform/core 3.0.1, which npm could not install here; it compiled with ${own}, the runner's own`)
      // Another dependency (a package of the project's own) needs the project's npm install.
      writeFileSync(path.join(dir, "package.json"), JSON.stringify({ dependencies: { "@dataform/core": "3.0.0", "dataform-scd": "1.0.0" } }))
      const error = yield* Effect.flip(withEnvironment({ ...offline, MDP_DATAFORM_CORE_CACHE: coreCache }, compileProject({ projectDir: dir })))
      assert.include(error.message, "@dataform/core is not installed; run `npm install` first")
      rmSync(dir, { recursive: true, force: true })
      rmSync(cache, { recursive: true, force: true })
    }).pipe(Effect.provide(NodeFileSystem.layer)), 60_000)

  it.effect("a 3.0.0 prerelease the CLI refuses (Google's GA4 template pins 3.0.0-beta.4) compiles with that core, from the project's committed node_modules, offline", () =>
    Effect.gen(function* () {
      const dir = pinnedProject("3.0.0-beta.4")
      // The template commits node_modules/@dataform/core at the pinned version: here core 3.0.0 relabelled.
      const committed = path.join(dir, "node_modules", "@dataform", "core")
      cpSync(path.dirname(createRequire(import.meta.url).resolve("dataform-core-3-0-0/package.json")), committed, { recursive: true, dereference: true })
      writeFileSync(path.join(committed, "package.json"), readFileSync(path.join(committed, "package.json"), "utf8").replace('"version": "3.0.0"', '"version": "3.0.0-beta.4"'))
      writeFileSync(path.join(committed, "bundle.js"), readFileSync(path.join(committed, "bundle.js"), "utf8").replace('version="3.0.0"', 'version="3.0.0-beta.4"'))
      const empty = mkdtempSync(path.join(os.tmpdir(), "mdp-core-cache-empty-"))
      const graph = yield* withEnvironment({ ...offline, MDP_DATAFORM_CORE_CACHE: empty }, compileProject({ projectDir: dir }))
      assert.strictEqual(graph.compiled.dataformCoreVersion, "3.0.0-beta.4")
      assert.deepStrictEqual(graph.actions.map((action) => action.target.name), ["orders"])
      // Nothing was installed.
      assert.deepStrictEqual(readdirSync(empty), [])
      // The stock CLI's own worker refuses that core by its version.
      const refused = yield* Effect.flip(compileInWorker({ projectDir: dir, timeoutMs: 60_000 }))
      assert.include(refused.reason, "@dataform/core 3.0.0-beta.4 is not compatible with @dataform/cli")
      rmSync(dir, { recursive: true, force: true })
      rmSync(empty, { recursive: true, force: true })
    }).pipe(Effect.provide(NodeFileSystem.layer)), 60_000)

  it("the CLI refuses a core below its major.minor.0, a prerelease of it included, and only within its major", () => {
    assert.isTrue(cliRefusesCore("3.0.0-beta.4", "3.0.69"))
    assert.isTrue(cliRefusesCore("3.0.0-alpha.1", "3.0.2"))
    assert.isFalse(cliRefusesCore("3.0.0", "3.0.69"))
    assert.isFalse(cliRefusesCore("3.0.62", "3.0.69"))
    assert.isTrue(cliRefusesCore("3.0.5", "3.1.0"))
    assert.isFalse(cliRefusesCore("2.9.0", "3.0.69"))
    assert.isFalse(cliRefusesCore("3.0.0-beta.4", "0.0.0"))
  })

  it.effect("beside the project's own package.json it is refused, as Dataform refuses it", () =>
    Effect.gen(function* () {
      const dir = pinnedProject("3.0.0")
      writeFileSync(path.join(dir, "package.json"), JSON.stringify({ dependencies: { "@dataform/core": "3.0.0" } }))
      const error = yield* Effect.flip(withEnvironment({ ...offline, MDP_DATAFORM_CORE_CACHE: coreCache }, compileProject({ projectDir: dir })))
      assert.include(error.message, `pins dataformCoreVersion 3.0.0, and '${path.join(dir, "package.json")}' is unexpected beside it`)
      rmSync(dir, { recursive: true, force: true })
    }).pipe(Effect.provide(NodeFileSystem.layer)), 60_000)
})
