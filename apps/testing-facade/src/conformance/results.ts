/** One test's outcome in the tool's JSON output (`--output FILE.json`). */
export interface ToolResult {
  name: string;
  state: string;
  detail: string;
}

/** States the tool scores: anything else (Fail, Warning, Could Not Test, …) among scored tests fails the run. */
const NOT_SCORED = new Set(['Test Disabled', 'Not Applicable', 'Not Implemented', 'Manual']);

export interface SuiteVerdict {
  suite: string;
  results: ToolResult[];
  passed: number;
  scored: number;
  ok: boolean;
}

/**
 * The suite passes when it produced results and every scored one passed. The tool's own exit code is
 * 0 even for "Could Not Test", so the JSON is what counts.
 */
export function verdict(suite: string, output: unknown): SuiteVerdict {
  const results = ((output as { results?: ToolResult[] })?.results ?? []).filter((r) => typeof r?.name === 'string' && typeof r?.state === 'string');
  const scored = results.filter((r) => !NOT_SCORED.has(r.state));
  const passed = scored.filter((r) => r.state === 'Pass').length;
  return { suite, results, passed, scored: scored.length, ok: results.length > 0 && passed === scored.length };
}

export function formatVerdict(v: SuiteVerdict): string {
  const lines = v.results.map((r) => `  ${r.state.padEnd(15)} ${r.name}${r.detail ? `: ${r.detail}` : ''}`);
  return [`${v.suite}: ${v.passed}/${v.scored} scored tests passed${v.ok ? '' : ' — FAILED'}`, ...lines].join('\n');
}
