// Reading the result of `rubric test`, which ends with a line `N passed, N failed`.

export interface TestSummary {
  passed: number;
  failed: number;
  /** The summary line as printed. */
  line: string;
}

const SUMMARY = /^(?:\w+:\s*)?(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$/;

/** The last `N passed, N failed` line of the output, if there is one. */
export function parseSummary(output: string): TestSummary | undefined {
  const lines = output.split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i].trim();
    const m = SUMMARY.exec(line);
    if (m) return { passed: Number(m[1]), failed: Number(m[2]), line };
  }
  return undefined;
}

export type Outcome = { level: 'info' | 'error'; message: string };

/** What the notification says once `rubric test` has exited. */
export function outcomeMessage(output: string, exitCode: number | null, signal?: string | null): Outcome {
  const s = parseSummary(output);
  if (s) {
    const ok = s.failed === 0 && exitCode === 0;
    return { level: ok ? 'info' : 'error', message: `Rubric tests: ${s.passed} passed, ${s.failed} failed` };
  }
  if (signal) return { level: 'error', message: `Rubric tests: \`rubric test\` was stopped by ${signal}` };
  return {
    level: 'error',
    message: `Rubric tests: \`rubric test\` exited with code ${exitCode ?? 'unknown'} without a summary line, see the output`,
  };
}
