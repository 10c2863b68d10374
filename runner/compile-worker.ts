/**
 * Compiles a Dataform project in the stock CLI's own compile worker
 * (`@dataform/cli/worker_bundle.js`, the child process `dataform compile` forks): the same
 * sandbox, the project's own `@dataform/core`, the same request, without starting the CLI first
 * (about a second). A worker keeps state from one compile to the next, so each serves one compile,
 * as under the CLI; the next boots while an answer is used, so a process that compiles again finds
 * it ready. The worker answers in core's protobuf; it is decoded with core's own `.proto` files
 * and printed as the CLI prints `--json` (protobufjs's JSON form), byte for byte
 * (`test/compile.test.ts` compares the two).
 * A project that pins `dataformCoreVersion` is compiled here too, from a copy beside that core
 * (`compileProject`); one that uses an `extension` goes to the CLI, which wires its code itself.
 */
import { fork, type ChildProcess } from "node:child_process"
import { copyFileSync, existsSync, mkdirSync, renameSync } from "node:fs"
import { createRequire } from "node:module"
import path from "node:path"
import { pathToFileURL } from "node:url"
import { Effect, Semaphore } from "effect"
import protobuf from "protobufjs"
import { coreProtoDir } from "./core-protos.ts"

const require = createRequire(import.meta.url)

export interface WorkerRequest {
  readonly projectDir: string
  readonly vars?: Readonly<Record<string, string>>
  readonly schemaSuffix?: string
  readonly tablePrefix?: string
  readonly defaultDatabase?: string
  readonly timeoutMs: number
  /** Compile with a core the CLI's worker refuses by version (a 3.0.0 prerelease), as GCP Dataform compiles it. */
  readonly skipVersionCheck?: boolean
}

/** What went wrong, as the worker or the process around it said it. */
export interface WorkerFailure {
  readonly reason: string
}

// One decoder per @dataform/core folder: the protos travel with the core that wrote the answer.
const decoders = new Map<string, { readonly response: protobuf.Type; readonly graph: protobuf.Type }>()

const decoderFor = (projectDir: string) => {
  const coreDir = coreProtoDir(projectDir)
  const known = decoders.get(coreDir)
  if (known !== undefined) return known
  const load = (files: ReadonlyArray<string>) => {
    const root = new protobuf.Root()
    root.resolvePath = (_origin, target) => path.join(coreDir, target)
    root.loadSync([...files]).resolveAll()
    return root
  }
  // Some 3.0.x cores' core.proto names configs.proto's messages (DefaultIcebergConfig) without importing it.
  let root: protobuf.Root
  try {
    root = load(["core.proto"])
  } catch (error) {
    if (!existsSync(path.join(coreDir, "configs.proto"))) throw error
    root = load(["core.proto", "configs.proto"])
  }
  const decoder = { response: root.lookupType("dataform.CoreExecutionResponse"), graph: root.lookupType("dataform.CompiledGraph") }
  decoders.set(coreDir, decoder)
  return decoder
}

/** The compiled graph as `dataform compile --json` prints it (without its final newline). */
export const graphJson = (projectDir: string, base64: string): string => {
  const { response, graph } = decoderFor(projectDir)
  const decoded = response.decode(Buffer.from(base64, "base64")) as protobuf.Message & { compile?: { compiledGraph?: protobuf.Message } }
  const compiled = decoded.compile?.compiledGraph ?? graph.create()
  return JSON.stringify(graph.toObject(compiled, { longs: String, enums: String, bytes: String, json: true }), null, 4)
}

let worker: ChildProcess | undefined
let booted: Promise<ChildProcess> | undefined
// The bundle the booted worker runs.
let bootedFrom: string | undefined

// The vm2 transform cache, in the worker before its bundle (`vm2-transform-cache.ts`).
const PRELOAD = pathToFileURL(path.join(import.meta.dirname, "compile-worker-preload.ts")).href

const cliWorkerBundle = (): string => require.resolve("@dataform/cli/worker_bundle.js")

/**
 * The CLI's worker bundle, copied where no package.json sits beside it: the worker then reads its
 * own version as 0.0.0 and skips the check that refuses cores older than its major.minor.0 (a
 * 3.0.0 prerelease), and nothing else changes. Under node_modules/.cache, so that it resolves the
 * CLI's dependencies as the original does.
 */
const uncheckedWorkerBundle = (): string => {
  const source = cliWorkerBundle()
  const cliVersion = (require("@dataform/cli/package.json") as { version?: string }).version ?? "0"
  const folder = path.join(path.dirname(path.dirname(path.dirname(source))), ".cache", "mdp-unchecked-worker")
  const target = path.join(folder, `worker_bundle-${cliVersion}.js`)
  if (!existsSync(target)) {
    mkdirSync(folder, { recursive: true })
    const temporary = `${target}.${process.pid}.tmp`
    copyFileSync(source, temporary)
    renameSync(temporary, target)
  }
  return target
}
// The worker compiles one request at a time and answers in order; one request in flight keeps
// answers matched to their requests.
const oneAtATime = Semaphore.makeUnsafe(1)

const stopWorker = () => {
  worker?.kill("SIGKILL")
  worker = undefined
  booted = undefined
  bootedFrom = undefined
}

// An idle worker must not keep the process alive: its handles are unreferenced between requests.
const hold = (child: ChildProcess, held: boolean) => {
  const channel = child.channel as { ref?: () => void; unref?: () => void } | null | undefined
  if (held) {
    child.ref()
    channel?.ref?.()
  } else {
    child.unref()
    channel?.unref?.()
  }
}

const bootWorker = (bundle: string = cliWorkerBundle()): Promise<ChildProcess> => {
  if (booted !== undefined && bootedFrom === bundle) return booted
  if (booted !== undefined) stopWorker()
  bootedFrom = bundle
  const child = fork(bundle, [], { stdio: ["ignore", "ignore", "ignore", "ipc"], execArgv: [...process.execArgv, "--import", PRELOAD] })
  worker = child
  booted = new Promise<ChildProcess>((resolve, reject) => {
    child.once("message", (message: { type?: string }) => (message?.type === "worker_booted" ? resolve(child) : reject(new Error("the compile worker did not start"))))
    child.once("error", reject)
    child.once("exit", () => {
      if (worker === child) {
        worker = undefined
        booted = undefined
        bootedFrom = undefined
      }
      reject(new Error("the compile worker exited while starting"))
    })
  })
  // Only while this one is still the worker: one stopped while it started (the next compile
  // wanting the other bundle) must not take its successor down with it.
  booted.catch(() => {
    if (worker === child) stopWorker()
  })
  return booted
}

const describeWorkerError = (message: unknown): string => {
  if (typeof message === "object" && message !== null) {
    const { message: text, stack } = message as { message?: unknown; stack?: unknown }
    if (typeof text === "string" && text !== "") return text
    if (typeof stack === "string") return stack
  }
  return String(message)
}

const projectConfigOverride = (request: WorkerRequest) => ({
  ...(request.vars === undefined || Object.keys(request.vars).length === 0 ? {} : { vars: request.vars }),
  ...(request.schemaSuffix === undefined ? {} : { schemaSuffix: request.schemaSuffix }),
  ...(request.tablePrefix === undefined ? {} : { tablePrefix: request.tablePrefix }),
  ...(request.defaultDatabase === undefined ? {} : { defaultDatabase: request.defaultDatabase })
})

/** One compile in a worker of its own: the graph's JSON, or why not. */
export const compileInWorker = (request: WorkerRequest): Effect.Effect<string, WorkerFailure> =>
  oneAtATime.withPermits(1)(
    Effect.callback<string, WorkerFailure>((resume) => {
      let settled = false
      let child: ChildProcess | undefined
      const finish = (outcome: Effect.Effect<string, WorkerFailure>) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        if (child !== undefined) {
          child.off("message", onMessage)
          child.off("exit", onExit)
          // A worker keeps state from one compile to the next (as the CLI knows: it kills each
          // after one answer). It serves one compile; the next one starts now, while this
          // answer is used, so the next compile finds it booted.
          if (worker === child) stopWorker()
          void bootWorker().then((next) => hold(next, false), () => undefined)
        }
        resume(outcome)
      }
      const onMessage = (message: unknown) => {
        if (typeof message === "object" && message !== null && (message as { type?: unknown }).type === "worker_booted") return
        if (typeof message !== "string") return finish(Effect.fail({ reason: describeWorkerError(message) }))
        try {
          finish(Effect.succeed(graphJson(request.projectDir, message)))
        } catch (error) {
          finish(Effect.fail({ reason: `could not read the compiler's answer: ${describeWorkerError(error)}` }))
        }
      }
      const onExit = () => finish(Effect.fail({ reason: "the compile worker stopped before answering" }))
      const timer = setTimeout(() => {
        stopWorker()
        finish(Effect.fail({ reason: `compilation timed out after ${request.timeoutMs / 1000} s` }))
      }, request.timeoutMs)
      let bundle: string
      try {
        bundle = request.skipVersionCheck === true ? uncheckedWorkerBundle() : cliWorkerBundle()
      } catch (error) {
        finish(Effect.fail({ reason: `could not prepare the compile worker: ${describeWorkerError(error)}` }))
        return Effect.void
      }
      bootWorker(bundle).then(
        (started) => {
          if (settled) return
          child = started
          hold(child, true)
          child.on("message", onMessage)
          child.once("exit", onExit)
          child.send({ projectDir: request.projectDir, projectConfigOverride: projectConfigOverride(request) })
        },
        (error: unknown) => finish(Effect.fail({ reason: describeWorkerError(error) }))
      )
      // An interrupted compile cannot be stopped inside the worker: the worker goes instead.
      return Effect.sync(() => {
        if (!settled) {
          settled = true
          clearTimeout(timer)
          stopWorker()
        }
      })
    })
  )

/**
 * One compile of a core 2.x project (`core2-compile-worker.ts`, which the stock CLI 3.x would
 * refuse by version), in a child process that serves it and exits.
 */
export const compileCore2 = (request: WorkerRequest): Effect.Effect<string, WorkerFailure> =>
  Effect.callback<string, WorkerFailure>((resume) => {
    const child = fork(path.join(import.meta.dirname, "core2-compile-worker.ts"), [], { stdio: ["ignore", "ignore", "pipe", "ipc"] })
    let stderr = ""
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    let settled = false
    const finish = (outcome: Effect.Effect<string, WorkerFailure>) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      child.kill("SIGKILL")
      resume(outcome)
    }
    const timer = setTimeout(() => finish(Effect.fail({ reason: `compilation timed out after ${request.timeoutMs / 1000} s` })), request.timeoutMs)
    child.once("message", (message: unknown) => {
      if (typeof message !== "string") return finish(Effect.fail({ reason: describeWorkerError(message) }))
      try {
        finish(Effect.succeed(graphJson(request.projectDir, message)))
      } catch (error) {
        finish(Effect.fail({ reason: `could not read the compiler's answer: ${describeWorkerError(error)}` }))
      }
    })
    child.once("exit", () => finish(Effect.fail({ reason: `the core 2.x compile worker stopped before answering${stderr === "" ? "" : `: ${stderr.trim()}`}` })))
    child.send({ projectDir: request.projectDir, projectConfigOverride: projectConfigOverride(request) })
    return Effect.sync(() => finish(Effect.fail({ reason: "interrupted" })))
  })
