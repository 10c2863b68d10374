/**
 * Compiles a project whose installed `@dataform/core` is 2.x, in a child process of its own.
 * The stock CLI 3.x refuses core 2.x by version, though core 2.x answers the same
 * `main(CoreExecutionRequest)` as 3.x: this does what the CLI's compile worker does (the same vm2
 * sandbox, taken from the CLI's own dependencies, with core's compiler for .sqlx and core's protos
 * for the request) without the version gate. Message in: { projectDir, projectConfigOverride };
 * message out: core's base64 CoreExecutionResponse, or { message } when it cannot compile.
 */
import { readdirSync } from "node:fs"
import { createRequire } from "node:module"
import path from "node:path"
import protobuf from "protobufjs"
import { coreProtoDir } from "./core-protos.ts"
import { installTransformCache } from "./vm2-transform-cache.ts"

interface Request {
  readonly projectDir: string
  readonly projectConfigOverride: Readonly<Record<string, unknown>>
}

interface NodeVMOptions {
  readonly wrapper: "none"
  readonly require: Readonly<Record<string, unknown>>
  readonly sandbox?: Readonly<Record<string, unknown>>
  readonly sourceExtensions?: ReadonlyArray<string>
  readonly compiler?: (code: string, filePath: string) => string
}
interface NodeVM {
  run(code: string, fileName: string): unknown
}

// Before vm2 loads: its modules read their transformer once.
installTransformCache()

const { NodeVM } = createRequire(createRequire(import.meta.url).resolve("@dataform/cli/package.json"))("vm2") as {
  NodeVM: new (options: NodeVMOptions) => NodeVM
}

// Every file but dependencies and dot folders, relative, as the CLI lists them for core.
const projectFiles = (root: string, relative = ""): ReadonlyArray<string> =>
  readdirSync(path.join(root, relative), { withFileTypes: true }).flatMap((entry) => {
    const child = relative === "" ? entry.name : `${relative}/${entry.name}`
    if (entry.name.startsWith(".") || (relative === "" && entry.name === "node_modules")) return []
    return entry.isDirectory() ? projectFiles(root, child) : entry.name.includes(".") ? [child] : []
  })

const encodedRequest = (request: Request): string => {
  const root = new protobuf.Root()
  root.resolvePath = (_origin, target) => path.join(coreProtoDir(request.projectDir), target)
  root.loadSync(["core.proto"])
  const type = root.lookupType("dataform.CoreExecutionRequest")
  const message = type.fromObject({
    compile: { compileConfig: { projectDir: request.projectDir, filePaths: projectFiles(request.projectDir), projectConfigOverride: request.projectConfigOverride } }
  })
  return Buffer.from(type.encode(message).finish()).toString("base64")
}

// Minified (`if(!t)throw …`) or not (`if (!lastfile) { throw … }`).
const CALLER_THROW = /if\s*\(\s*!(\w+)\s*\)\s*(\{\s*)?throw new Error\("Unable to find valid caller file; please report this issue\."\);?(\s*\})?/
const withCallerFallback = (source: string): string =>
  source.replace(
    CALLER_THROW,
    (_match, name: string) =>
      `if(!${name}){if(global.__dataform_current_file){${name}=global.__dataform_current_file}else{throw new Error("Unable to find valid caller file; please report this issue.")}}`
  )

const compile = (request: Request): unknown => {
  const projectDir = path.resolve(request.projectDir)
  const index = path.join(projectDir, "index.js")
  const sandboxRequire = { context: "sandbox", root: projectDir, external: true, builtin: ["path"] }
  const { compiler } = new NodeVM({ wrapper: "none", require: sandboxRequire }).run('return require("@dataform/core")', index) as {
    compiler: (code: string, filePath: string) => string
  }
  const coreBundle = path.join(projectDir, "node_modules", "@dataform", "core", "bundle.js")
  // Older cores find the file an action is declared in from the stack, which fails under vm2;
  // the CLI tells them the file being run instead, and so does this.
  const files: Array<string> = []
  const userCode = new NodeVM({
    wrapper: "none",
    sandbox: { __df_enter: (file: string) => files.push(file), __df_exit: () => files.pop(), __df_current: () => files[files.length - 1] ?? null },
    require: {
      ...sandboxRequire,
      // Bare names (`dataform.json`, `includes/x.js`) are the project's files, as under the CLI.
      resolve: (moduleName: string, parent: string) => path.join(parent, path.relative(parent, projectDir), moduleName)
    },
    sourceExtensions: ["js", "sql", "sqlx"],
    compiler: (code: string, filePath: string) =>
      `__df_enter(${JSON.stringify(filePath)}); try { ${compiler(filePath === coreBundle ? withCallerFallback(code) : code, filePath)} } finally { __df_exit(); }`
  })
  return userCode.run(
    `Object.defineProperty(global, "__dataform_current_file", { configurable: true, get: function () { return __df_current(); } });
     return require("@dataform/core").main("${encodedRequest({ ...request, projectDir })}")`,
    index
  )
}

process.on("message", (request: Request) => {
  try {
    process.send?.(compile(request))
  } catch (error) {
    process.send?.({ message: error instanceof Error ? error.message : String(error) })
  }
})
