// The compiler's answer is decoded with the protos of the core that wrote it, whatever their layout.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import protobuf from "protobufjs"
import { graphJson } from "../runner/compile-worker.ts"

const CORE_PROTO = `syntax = "proto3";
package dataform;
message CoreExecutionResponse { CompileExecutionResponse compile = 1; }
message CompileExecutionResponse { CompiledGraph compiled_graph = 1; }
message CompiledGraph { ProjectConfig project_config = 1; }
message ProjectConfig {
  string default_database = 1;
  DefaultIcebergConfig default_iceberg_config = 19;
}
`
const CONFIGS_PROTO = `syntax = "proto3";
package dataform;
message DefaultIcebergConfig { string bucket_name = 1; }
`

describe("the compiler's answer", () => {
  it("is read with configs.proto too when the core's core.proto names its messages without importing it (alphagov/govuk-zendesk-dataform's core)", () => {
    const projectDir = mkdtempSync(path.join(tmpdir(), "mdp-core-protos-"))
    try {
      const coreDir = path.join(projectDir, "node_modules", "@dataform", "core")
      mkdirSync(coreDir, { recursive: true })
      writeFileSync(path.join(coreDir, "core.proto"), CORE_PROTO)
      writeFileSync(path.join(coreDir, "configs.proto"), CONFIGS_PROTO)
      // The answer as such a core writes it, encoded from the same two files.
      const writer = protobuf.parse(CONFIGS_PROTO).root
      protobuf.parse(CORE_PROTO, writer)
      const response = writer.lookupType("dataform.CoreExecutionResponse")
      const bytes = response.encode(response.fromObject({ compile: { compiledGraph: { projectConfig: { defaultDatabase: "gds-bq-reporting", defaultIcebergConfig: { bucketName: "lake" } } } } })).finish()
      const graph = JSON.parse(graphJson(projectDir, Buffer.from(bytes).toString("base64"))) as { projectConfig?: { defaultDatabase?: string; defaultIcebergConfig?: { bucketName?: string } } }
      assert.deepStrictEqual(graph.projectConfig, { defaultDatabase: "gds-bq-reporting", defaultIcebergConfig: { bucketName: "lake" } })
    } finally {
      rmSync(projectDir, { recursive: true, force: true })
    }
  })
})
