/**
 * One line of `npm run bench` output (scripts/bench.mjs prints them as a markdown table): a
 * measured figure beside its target. Each `bench/*.bench.ts` default-exports
 * `async function run(): Promise<BenchRow[]>`.
 */
export interface BenchRow {
  name: string;
  /** The median: a number printed with `unit`, or preformatted text. */
  median: number | string;
  p99?: number | string;
  /** Unit of `median`/`p99` when they are numbers (e.g. "ms", "req/s"). */
  unit?: string;
  /** The target, e.g. "≤ 50 ms"; "—" for an informational row. */
  target: string;
  /** Whether the target is met; null for an informational row without a target. */
  pass: boolean | null;
}
