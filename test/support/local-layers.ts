/** The local services a transform runs with: a DuckDB warehouse (a file, or `:memory:`) and the Node file system. */
import { NodeFileSystem } from "@effect/platform-node"
import { Layer } from "effect"
import { Warehouse } from "../../runner/warehouse.ts"

export const localWarehouse = (file: string) => Layer.merge(Warehouse.layerDuckDB(file), NodeFileSystem.layer)
