/** Small helpers shared by the storage test suites. */
import assert from 'node:assert/strict';
import { isCairnError, type ErrorCode } from '../errors.js';

/** Asserts that `fn` throws or rejects with a CairnError of `code` whose message matches every pattern. */
export async function rejectsWithCode(fn: () => unknown, code: ErrorCode, ...patterns: RegExp[]): Promise<Error> {
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught !== undefined, `expected a CairnError with code ${code}, but nothing was thrown`);
  assert.ok(isCairnError(caught), `expected a CairnError with code ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, `unexpected code for: ${caught.message}`);
  for (const p of patterns) assert.match(caught.message, p);
  return caught;
}
