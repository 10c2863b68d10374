/** Removes credentials that third-party error messages sometimes echo (bearer tokens, tokens in URLs, keys). */
export const redactSecrets = (text: string): string =>
  text
    .replace(/Bearer\s+[A-Za-z0-9._~+/-]+=*/g, "Bearer [redacted]")
    .replace(/(access_token|refresh_token|client_secret|developer_token|key)=([^&\s"']+)/gi, "$1=[redacted]")
    .replace(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, "[redacted private key]")

/** The first line of an error's message, without secrets, at most 300 characters. */
export const describeCause = (cause: unknown): string => {
  const text = redactSecrets((cause instanceof Error ? cause.message : String(cause)).split("\n")[0] ?? "")
  return text.length > 300 ? `${text.slice(0, 297)}…` : text
}

// A secret is replaced where no letter or digit runs on from it: not inside a longer word.
const WORD_CHARACTER = "A-Za-z0-9"

/**
 * Removes the configured secrets' values from a message, wherever one stands whole: a secret that
 * is also part of ordinary words ("req" in "request") leaves those words alone.
 */
export const scrubSecrets = (text: string, secrets: ReadonlyArray<string>): string =>
  secrets
    .filter((secret) => secret !== "")
    .reduce(
      (clean, secret) =>
        clean.replace(new RegExp(`(?<![${WORD_CHARACTER}])${secret.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&")}(?![${WORD_CHARACTER}])`, "g"), "[redacted]"),
      redactSecrets(text)
    )
