/**
 * BigQuery's NET functions of IP addresses
 * (https://cloud.google.com/bigquery/docs/reference/standard-sql/net_functions): addresses as
 * BYTES in network byte order (4 for IPv4, 16 for IPv6), and their text as inet_pton reads it and
 * inet_ntop writes it.
 */

const outOfRange = (reason: string) => new Error(reason)

const ipv4Bytes = (text: string): Array<number> | undefined => {
  const parts = text.split(".")
  if (parts.length !== 4) return undefined
  const bytes = parts.map((part) => (/^(0|[1-9]\d{0,2})$/.test(part) ? Number(part) : NaN))
  return bytes.every((byte) => byte <= 255) ? bytes : undefined
}

const ipv6Bytes = (text: string): Array<number> | undefined => {
  let head = text
  let tail: Array<number> = []
  // An IPv4 address in the last 32 bits (::ffff:192.0.2.128).
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (dotted !== null) {
    const v4 = ipv4Bytes(dotted[2]!)
    if (v4 === undefined) return undefined
    head = dotted[1]!.endsWith("::") ? dotted[1]! : dotted[1]!.slice(0, -1)
    tail = v4
  }
  const halves = head.split("::")
  if (halves.length > 2) return undefined
  const groups = (part: string) => (part === "" ? [] : part.split(":"))
  const left = groups(halves[0]!)
  const right = halves.length === 2 ? groups(halves[1]!) : []
  if ([...left, ...right].some((group) => !/^[0-9a-fA-F]{1,4}$/.test(group))) return undefined
  const words = tail.length / 2
  const missing = 8 - words - left.length - right.length
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined
  const values = [...left, ...Array<string>(missing).fill("0"), ...right].map((group) => parseInt(group, 16))
  return [...values.flatMap((value) => [value >> 8, value & 255]), ...tail]
}

/** NET.IP_FROM_STRING: an IPv4 (dotted quad) or IPv6 address's bytes; CIDR notation is no address. */
export const ipFromString = (text: string): Uint8Array | Error => {
  const bytes = text.includes(":") ? ipv6Bytes(text) : ipv4Bytes(text)
  return bytes === undefined ? outOfRange(`NET.IP_FROM_STRING: invalid IP address "${text}"`) : Uint8Array.from(bytes)
}

/** NET.IP_TO_STRING: 4 bytes as a dotted quad; 16 as IPv6, the longest run of zero groups as "::", an IPv4 tail dotted. */
export const ipToString = (bytes: Uint8Array): string | Error => {
  if (bytes.length === 4) return [...bytes].join(".")
  if (bytes.length !== 16) return outOfRange(`NET.IP_TO_STRING: an IP address has 4 or 16 bytes, not ${bytes.length}`)
  const words = Array.from({ length: 8 }, (_, k) => (bytes[2 * k]! << 8) | bytes[2 * k + 1]!)
  let best = { start: -1, length: 0 }
  for (let k = 0; k < 8; ) {
    if (words[k] !== 0) {
      k++
      continue
    }
    let end = k
    while (end < 8 && words[end] === 0) end++
    if (end - k > best.length) best = { start: k, length: end - k }
    k = end
  }
  if (best.length < 2) best = { start: -1, length: 0 }
  // ::a.b.c.d and ::ffff:a.b.c.d keep their IPv4 part dotted, as inet_ntop writes them.
  if (best.start === 0 && (best.length === 6 || (best.length === 5 && words[5] === 0xffff))) {
    return `::${best.length === 5 ? "ffff:" : ""}${[...bytes.slice(12)].join(".")}`
  }
  let out = ""
  for (let k = 0; k < 8; k++) {
    if (k === best.start) {
      out += "::"
      k += best.length - 1
      continue
    }
    if (out !== "" && !out.endsWith(":")) out += ":"
    out += words[k]!.toString(16)
  }
  return out
}

const checkedPrefix = (length: number, prefix: bigint, name: string): number | Error => {
  if (length !== 4 && length !== 16) return outOfRange(`${name}: an IP address has 4 or 16 bytes, not ${length}`)
  if (prefix < 0n || prefix > BigInt(8 * length)) return outOfRange(`${name}: the prefix length ${prefix} is not between 0 and ${8 * length}`)
  return Number(prefix)
}

/** NET.IP_NET_MASK: `length` bytes whose first `prefix` bits are 1. */
export const ipNetMask = (length: bigint, prefix: bigint): Uint8Array | Error => {
  const bits = checkedPrefix(Number(length), prefix, "NET.IP_NET_MASK")
  if (bits instanceof Error) return bits
  return Uint8Array.from({ length: Number(length) }, (_, k) => (bits >= 8 * (k + 1) ? 255 : bits <= 8 * k ? 0 : (0xff << (8 - (bits - 8 * k))) & 255))
}

/** NET.IP_TRUNC: the address with its bits after the first `prefix` set to 0. */
export const ipTrunc = (bytes: Uint8Array, prefix: bigint): Uint8Array | Error => {
  const mask = ipNetMask(BigInt(bytes.length), prefix)
  if (mask instanceof Error) return new Error(mask.message.replace("NET.IP_NET_MASK", "NET.IP_TRUNC"))
  return bytes.map((byte, k) => byte & mask[k]!)
}

/** NET.IPV4_FROM_INT64: an integer in [-0x80000000, 0xFFFFFFFF] as 4 bytes. */
export const ipv4FromInt64 = (value: bigint): Uint8Array | Error => {
  if (value < -0x80000000n || value > 0xffffffffn) return outOfRange(`NET.IPV4_FROM_INT64: ${value} is not between -0x80000000 and 0xFFFFFFFF`)
  const unsigned = Number(BigInt.asUintN(32, value))
  return Uint8Array.of(unsigned >>> 24, (unsigned >>> 16) & 255, (unsigned >>> 8) & 255, unsigned & 255)
}

/** NET.IPV4_TO_INT64: 4 bytes as an integer in [0, 0xFFFFFFFF]. */
export const ipv4ToInt64 = (bytes: Uint8Array): bigint | Error => {
  if (bytes.length !== 4) return outOfRange(`NET.IPV4_TO_INT64: an IPv4 address has 4 bytes, not ${bytes.length}`)
  return BigInt(((bytes[0]! << 24) >>> 0) + (bytes[1]! << 16) + (bytes[2]! << 8) + bytes[3]!)
}
