/** The local services a transform runs with: a DuckDB warehouse (a file, or `:memory:`) and the Node file system. */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { Effect, FileSystem, Layer } from "effect"
import { RawZone } from "../../ingestion/raw-zone.ts"
import { Warehouse } from "../../runner/warehouse.ts"

export const localWarehouse = (file: string) => Layer.merge(Warehouse.layerDuckDB(file), NodeFileSystem.layer)

/** The local raw zone on the Node file system. */
export const localRawZone = (root: string) => RawZone.layerLocal(root).pipe(Layer.provide(NodeFileSystem.layer))

/** Node's file system, for the services tests build by hand. */
export const nodeFileSystem: FileSystem.FileSystem = Effect.runSync(
  Effect.gen(function* () {
    return yield* FileSystem.FileSystem
  }).pipe(Effect.provide(NodeFileSystem.layer))
)
