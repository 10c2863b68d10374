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
