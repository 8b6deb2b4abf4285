import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { outcomeMessage, parseSummary } from '../summary';

describe('rubric test summary', () => {
  it('reads the last summary line', () => {
    const out = [
      'tiers.rubric: test "the biggest customer is diamond" failed',
      '  expect tier["b"] == gold: actual silver',
      '12 passed, 1 failed',
      '',
    ].join('\n');
    assert.deepEqual(parseSummary(out), { passed: 12, failed: 1, line: '12 passed, 1 failed' });
  });

  it('accepts a prefix word and a skipped count', () => {
    assert.deepEqual(parseSummary('tests: 3 passed, 0 failed, 1 skipped\r\n'), {
      passed: 3,
      failed: 0,
      line: 'tests: 3 passed, 0 failed, 1 skipped',
    });
  });

  it('ignores a summary-like phrase inside a longer line', () => {
    assert.equal(parseSummary('expect note == "2 passed, 0 failed" was false'), undefined);
  });

  it('says all passed only when nothing failed and the exit code is 0', () => {
    assert.deepEqual(outcomeMessage('4 passed, 0 failed\n', 0), {
      level: 'info',
      message: 'Rubric tests: 4 passed, 0 failed',
    });
    assert.equal(outcomeMessage('4 passed, 2 failed\n', 1).level, 'error');
    assert.equal(outcomeMessage('4 passed, 0 failed\n', 2).level, 'error');
  });

  it('explains a run without a summary', () => {
    assert.deepEqual(outcomeMessage('error: cannot read `x.rubric`\n', 2), {
      level: 'error',
      message: 'Rubric tests: `rubric test` exited with code 2 without a summary line, see the output',
    });
  });
});
