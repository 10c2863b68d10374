/** Suggestions for a mistyped name: an action, a tag, a command, an option. */

/** Edit distance, for "did you mean". */
const distance = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]!
}

export const closest = (wanted: string, candidates: ReadonlyArray<string>): string | undefined => {
  const ranked = [...new Set(candidates)]
    .map((candidate) => ({ candidate, d: distance(wanted.toLowerCase(), candidate.toLowerCase()) }))
    .filter(({ candidate, d }) => d <= Math.max(2, Math.floor(candidate.length / 3)))
    .sort((x, y) => x.d - y.d)
  return ranked[0]?.candidate
}

/** ` (did you mean "x"?)` when a candidate is close enough to be what was meant, else nothing. */
export const didYouMean = (wanted: string, candidates: ReadonlyArray<string>): string => {
  const suggestion = closest(wanted, candidates)
  return suggestion === undefined ? "" : ` (did you mean "${suggestion}"?)`
}
