import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seqAdd, seqDiff, seqGe, seqGt, seqInRange, seqLe, seqLt, seqMax, seqMin, seqWrap } from '../../src/wire/seq.js';

const TOP = 0xffffffff;

test('adding past 2^32 wraps to small numbers', () => {
  assert.equal(seqAdd(TOP, 1), 0);
  assert.equal(seqAdd(TOP - 4, 10), 5);
  assert.equal(seqAdd(3, -5), TOP - 1);
  assert.equal(seqWrap(2 ** 32 + 7), 7);
});

test('a number just past the wrap compares greater than one just before it', () => {
  assert.ok(seqLt(TOP, 0));
  assert.ok(seqGt(0, TOP));
  assert.ok(seqLt(TOP - 100, 50));
  assert.ok(seqLe(5, 5) && seqGe(5, 5) && !seqLt(5, 5) && !seqGt(5, 5));
});

test('the signed distance crosses the wrap', () => {
  assert.equal(seqDiff(5, TOP - 4), 10);
  assert.equal(seqDiff(TOP - 4, 5), -10);
  assert.equal(seqDiff(8221823, 8221822), 1);
});

test('ranges that straddle the wrap contain their members only', () => {
  const lo = TOP - 9;
  const hi = seqAdd(lo, 20);
  assert.ok(seqInRange(lo, lo, hi));
  assert.ok(seqInRange(TOP, lo, hi));
  assert.ok(seqInRange(0, lo, hi));
  assert.ok(seqInRange(9, lo, hi));
  assert.ok(!seqInRange(10, lo, hi));
  assert.ok(!seqInRange(lo - 1, lo, hi));
  assert.ok(!seqInRange(7, 7, 7), 'an empty range contains nothing');
});

test('max and min follow sequence order, not numeric order', () => {
  assert.equal(seqMax(TOP, 2), 2);
  assert.equal(seqMin(TOP, 2), TOP);
});
