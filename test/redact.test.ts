import { describe, expect, it } from "vitest"
import { scrubSecrets } from "../ingestion/core/redact.ts"

describe("secrets in messages", () => {
  it("a configured secret is removed wherever it stands whole, in URLs, JSON and headers", () => {
    const token = "EAAB1x//abc+9="
    expect(scrubSecrets(`GET /v24.0/act_1/insights?access_token=${token}&limit=5 failed: {"token":"${token}"} ${token}`, [token])).toBe(
      'GET /v24.0/act_1/insights?access_token=[redacted]&limit=5 failed: {"token":"[redacted]"} [redacted]'
    )
  })

  it("a short secret does not mangle the words it is part of", () => {
    expect(scrubSecrets("The request was made but no response was received", ["t", "e"])).toBe("The request was made but no response was received")
    expect(scrubSecrets("secret t here", ["t"])).toBe("secret [redacted] here")
  })
})
