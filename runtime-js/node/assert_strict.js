// node:assert/strict -- the strict-mode assert.
import assert from "node:assert";

const strict = assert.strict;
export const {
  ok, fail, equal, notEqual, strictEqual, notStrictEqual, deepEqual, notDeepEqual, deepStrictEqual,
  notDeepStrictEqual, throws, doesNotThrow, rejects, doesNotReject, ifError, match, doesNotMatch,
  AssertionError, CallTracker,
} = strict;
export { strict };
export default strict;
