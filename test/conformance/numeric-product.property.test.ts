import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import fc from "fast-check"
import { translate } from "../../runner/translate.ts"
import { Warehouse } from "../../runner/warehouse.ts"

// BigQuery's NUMERIC: nine decimal places, fewer than 10^29 in magnitude (data-types#decimal_types).
const SCALE = 9
const LIMIT = 10n ** 38n

const text = (scaled: bigint): string => {
  const digits = (scaled < 0n ? -scaled : scaled).toString().padStart(SCALE + 1, "0")
  const fraction = digits.slice(-SCALE).replace(/0+$/, "")
  return `${scaled < 0n ? "-" : ""}${digits.slice(0, -SCALE)}${fraction === "" ? "" : `.${fraction}`}`
}

/** The product as BigQuery states it: exact, then rounded half away from zero to nine places. */
const expectedProduct = (left: bigint, right: bigint): string | "overflow" => {
  const exact = left * right
  const magnitude = exact < 0n ? -exact : exact
  const unit = 10n ** BigInt(SCALE)
  const rounded = magnitude / unit + (magnitude % unit >= unit / 2n ? 1n : 0n)
  if (rounded >= LIMIT) return "overflow"
  return text(exact < 0n ? -rounded : rounded)
}

// Values times 10^9, from a few nanos to near NUMERIC's limit, so that products round, pass 10^20 and overflow.
const scaledNumeric = fc.oneof(
  fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
  fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n }),
  fc.bigInt({ min: -(10n ** 37n), max: 10n ** 37n })
)

describe("NUMERIC times NUMERIC", () => {
  it.effect("matches the exact product rounded to nine places, or fails past NUMERIC's range", () =>
    Effect.gen(function* () {
      const samples = fc.sample(fc.tuple(scaledNumeric, scaledNumeric), { seed: 20261206, numRuns: 60 })
      const sql = samples.map(([left, right], i) => `SELECT ${i} AS i, CAST(NUMERIC '${text(left)}' * NUMERIC '${text(right)}' AS STRING) AS product`)
      const warehouse = yield* Warehouse
      let overflows = 0
      for (const [i, [left, right]] of samples.entries()) {
        const statements = yield* translate(sql[i]!, { fileName: "product.sqlx" })
        const result = yield* Effect.result(warehouse.queryResult(statements.join(";\n")))
        const expected = expectedProduct(left, right)
        if (expected === "overflow") {
          overflows++
          assert.strictEqual(result._tag, "Failure", `${text(left)} * ${text(right)} should overflow`)
          if (result._tag === "Failure") assert.match(result.failure.reason, /numeric overflow/)
          continue
        }
        assert.strictEqual(result._tag, "Success", `${text(left)} * ${text(right)}`)
        if (result._tag === "Success") assert.deepStrictEqual(result.success, [{ i, product: expected }], `${text(left)} * ${text(right)}`)
      }
      // The sample reaches both sides of the range.
      assert.isAbove(overflows, 0)
      assert.isBelow(overflows, samples.length)
    }).pipe(Effect.provide(Warehouse.layerDuckDB(":memory:"))))
})
