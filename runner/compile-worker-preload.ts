/**
 * Loaded with `--import` into the CLI's compile worker before its bundle: the vm2 transform cache
 * (`vm2-transform-cache.ts`) in place before vm2's modules read their transformer.
 */
import { installTransformCache } from "./vm2-transform-cache.ts"

installTransformCache()
