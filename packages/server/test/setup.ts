/**
 * Runs in every test file (vitest.config.ts `setupFiles`): the output of the code under test
 * (captured logs, child processes' output; test/output.ts) is printed for a failed test only.
 */
import { afterAll, afterEach, beforeEach, type RunnerTestSuite } from 'vitest';
import { forgetSources, markTestStart, outputSinceTestStart } from './output.ts';

function show(what: string): void {
  const output = outputSinceTestStart();
  if (output) console.error(`Output of the code under test while ${what}:\n${output}`);
}

/** A hook of the suite (or of one inside it) threw: its errors are the suite's own, not its tests'. */
const hookFailed = (suite: RunnerTestSuite): boolean =>
  (suite.result?.errors?.length ?? 0) > 0 || suite.tasks.some((t) => t.type === 'suite' && hookFailed(t));

beforeEach(() => markTestStart());

afterEach(({ task }) => {
  if (task.result?.state === 'fail') show(`"${task.name}" ran (it failed)`);
});

// A hook outside any test failed (beforeAll, afterAll): what was written since the last test began.
afterAll((suite) => {
  if (hookFailed(suite)) show('a hook of this file ran (it failed)');
  forgetSources();
});
