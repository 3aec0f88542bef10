/**
 * "Did you mean …?": the closest names to a mistyped one, by edit distance. Pure; loaded only
 * after a usage error or an unknown account, never on the hot path.
 */

/**
 * Optimal string alignment distance: insertions, deletions, substitutions and transpositions of
 * two neighbours each cost 1 (so `wrok` → `work` and `--fromat` → `--format` are one edit, as a
 * person sees them).
 * @see https://en.wikipedia.org/wiki/Damerau%E2%80%93Levenshtein_distance#Optimal_string_alignment_distance
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  // Three rows are enough: the current one, the previous one, and the one before (transpositions).
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, (before[j - 2] as number) + 1);
      current.push(best);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length] as number;
}

/** How many edits still count as a slip rather than another word: 1 for short names, up to 3. */
function tolerance(input: string): number {
  return Math.min(3, Math.max(1, Math.floor(input.length / 3)));
}

/**
 * The candidates closest to `input` (case-insensitively), best first, at most `max`; empty when
 * none is close enough to be a likely slip. A candidate that `input` is a prefix of (3+
 * characters, as in `acc` → `account`) counts as close.
 */
export function closest(input: string, candidates: Iterable<string>, max = 3): string[] {
  const needle = input.toLowerCase();
  if (needle === '') return [];
  const limit = tolerance(needle);
  const scored: { name: string; score: number }[] = [];
  for (const name of new Set(candidates)) {
    const hay = name.toLowerCase();
    if (name === input) continue;
    let score = editDistance(needle, hay);
    if (score > limit && needle.length >= 3 && hay.startsWith(needle)) score = limit;
    if (score <= limit) scored.push({ name, score });
  }
  scored.sort((x, y) => x.score - y.score || x.name.localeCompare(y.name));
  return scored.slice(0, max).map((s) => s.name);
}

/** ` Did you mean 'work'?` / ` Did you mean 'a' or 'b'?`, or '' when nothing is close. */
export function didYouMean(input: string, candidates: Iterable<string>, quote: (name: string) => string = (n) => `'${n}'`): string {
  const found = closest(input, candidates);
  if (found.length === 0) return '';
  const quoted = found.map(quote);
  const list = quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1] as string}`;
  return ` Did you mean ${list}?`;
}
