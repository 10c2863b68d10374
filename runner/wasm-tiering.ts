/**
 * Keeps WebAssembly on V8's baseline compiler. Imported by `translate.ts` before
 * `@polyglot-sql/sdk`, whose 23 MB module is compiled when that package loads: these flags are
 * read then, so they must be set first.
 *
 * Left to tier up, V8 recompiled polyglot's hot functions with its optimising compiler on
 * background threads for about 6.5 CPU-seconds after the first translations of a process,
 * which on a 2-core machine slowed the DuckDB queries running meanwhile by up to 2×. The
 * optimised code translated no faster afterwards (docs/performance-history.md has the figures).
 * Both flags are needed: `--no-wasm-tier-up` alone leaves dynamic tiering on, and with dynamic
 * tiering off but tier-up on, V8 compiles every function with the optimising compiler up front.
 */
import { setFlagsFromString } from "node:v8"

setFlagsFromString("--no-wasm-tier-up")
setFlagsFromString("--no-wasm-dynamic-tiering")
