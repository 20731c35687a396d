/**
 * Properties of the push decoders, checked with fast-check:
 * - chunking never changes the outcome (same records, same error) — the framer's contract;
 * - random bytes, random truncations and random corruptions of valid files never throw anything
 *   but CaptureError, always terminate, and keep the record invariants;
 * - timestamp arithmetic equals BigInt arithmetic.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CaptureError, CaptureErrorCode } from '../../src/capture/errors.js';
import { makeTickConverter, nanosToTicks } from '../../src/capture/timestamp.js';
import { SEED, decodeInChunks, fixture, plain, type Decoded } from './helpers.js';

const FILES = ['kb172983.pcapng', 'kb172983.be.pcap', 'features.be.pcapng', 'multi-section.pcapng', 'lo-nano.pcap', 'linux-sll2.pcap'];
const corpus = [fixture(SEED), ...FILES.map((f) => fixture(f))];
const fileArb = fc.constantFrom(...corpus);
const chunkSizes = fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 20 });

function outcome(d: Decoded): unknown {
  return { records: d.records.map(plain), error: d.error === undefined ? undefined : [d.error.code, d.error.offset, d.error.frame] };
}

function checkInvariants(d: Decoded, size: number): void {
  d.records.forEach((r, i) => {
    assert.equal(r.frame, i + 1);
    assert.equal(r.data.length, r.capturedLength);
    assert.ok(r.fileOffset >= 0 && r.fileOffset + r.capturedLength <= size);
    assert.ok(Number.isInteger(r.tsSec) && Number.isInteger(r.tsNsec) && r.tsNsec >= 0 && r.tsNsec < 1e9);
  });
  if (d.error !== undefined) assert.ok(d.error.offset >= 0 && d.error.offset <= size);
}

describe('chunk boundaries', () => {
  test('any chunking of a valid file yields the same records as one chunk', () => {
    fc.assert(
      fc.property(fileArb, chunkSizes, (bytes, sizes) => {
        assert.deepEqual(outcome(decodeInChunks(bytes, sizes)), outcome(decodeInChunks(bytes)));
      }),
      { numRuns: 300 },
    );
  });

  test('any chunking of a damaged file yields the same records and the same error', () => {
    fc.assert(
      fc.property(fileArb, fc.nat(), fc.integer({ min: 0, max: 255 }), chunkSizes, (bytes, where, value, sizes) => {
        const b = bytes.slice();
        b[where % b.length] = value;
        const cut = b.subarray(0, b.length - (where % 50));
        assert.deepEqual(outcome(decodeInChunks(cut, sizes)), outcome(decodeInChunks(cut)));
      }),
      { numRuns: 300 },
    );
  });
});

describe('hostile input', () => {
  const prefixes = [new Uint8Array(0), fixture(SEED).subarray(0, 24), fixture('kb172983.pcapng').subarray(0, 128), fixture('features.be.pcapng').subarray(0, 28)];

  test('random bytes after a valid or no header: only CaptureError, and it terminates', () => {
    fc.assert(
      fc.property(fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 3000 }), chunkSizes, (prefix, tail, sizes) => {
        const bytes = new Uint8Array([...prefix, ...tail]);
        const d = decodeInChunks(bytes, sizes); // rethrows anything that is not a CaptureError
        checkInvariants(d, bytes.length);
      }),
      { numRuns: 500 },
    );
  });

  test('every truncation of a valid file gives a prefix of its records, then a TRUNCATED error', () => {
    fc.assert(
      fc.property(fileArb, fc.nat(), (bytes, n) => {
        const full = decodeInChunks(bytes);
        const cut = n % (bytes.length + 1);
        const d = decodeInChunks(bytes.subarray(0, cut), [97]);
        checkInvariants(d, cut);
        assert.deepEqual(d.records.map(plain), full.records.slice(0, d.records.length).map(plain));
        if (d.error !== undefined) {
          assert.ok(
            [CaptureErrorCode.TRUNCATED_HEADER, CaptureErrorCode.TRUNCATED_RECORD].includes(
              d.error.code as typeof CaptureErrorCode.TRUNCATED_HEADER,
            ),
            d.error.message,
          );
        } else {
          assert.ok(cut === bytes.length || d.records.length <= full.records.length);
        }
      }),
      { numRuns: 400 },
    );
  });

  test('random corruption of valid files: only CaptureError, invariants hold', () => {
    fc.assert(
      fc.property(fileArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), chunkSizes, (bytes, edits, sizes) => {
        const b = bytes.slice();
        for (const [at, v] of edits) b[at % b.length] = v;
        const d = decodeInChunks(b, sizes);
        checkInvariants(d, b.length);
        if (d.error !== undefined) assert.ok(d.error instanceof CaptureError);
      }),
      { numRuns: 500 },
    );
  });

  test('corrupting length fields to huge values never buffers more than the caps', () => {
    // Every 32-bit word set to a huge value in turn: the decoder must refuse, not allocate.
    for (const bytes of corpus) {
      for (let at = 0; at + 4 <= Math.min(bytes.length, 400); at += 4) {
        const b = bytes.slice();
        new DataView(b.buffer).setUint32(at, 0xfffffff0, true);
        const d = decodeInChunks(b, [64]);
        checkInvariants(d, b.length);
      }
    }
  });
});

describe('timestamp arithmetic', () => {
  const resolutions = fc.oneof(
    fc.integer({ min: 0, max: 19 }).map((e) => ({ base: 10 as const, exponent: e })),
    fc.integer({ min: 0, max: 63 }).map((e) => ({ base: 2 as const, exponent: e })),
  );

  test('ticks -> (sec, nsec) equals BigInt floor division for every resolution', () => {
    fc.assert(
      fc.property(resolutions, fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), (res, hi, lo) => {
        const units = BigInt(res.base) ** BigInt(res.exponent);
        const ticks = (BigInt(hi) << 32n) | BigInt(lo);
        const out = { sec: 0, nsec: 0 };
        makeTickConverter(res).convert(hi, lo, out);
        const sec = ticks / units;
        if (sec <= BigInt(Number.MAX_SAFE_INTEGER)) assert.equal(BigInt(out.sec), sec);
        assert.equal(BigInt(out.nsec), ((ticks % units) * 1_000_000_000n) / units);
      }),
      { numRuns: 2000 },
    );
  });

  test('(sec, nsec) -> 64-bit nanosecond ticks equals BigInt', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 18446744072 }), fc.integer({ min: 0, max: 999_999_999 }), (sec, nsec) => {
        const { hi, lo } = nanosToTicks(sec, nsec);
        const want = BigInt(sec) * 1_000_000_000n + BigInt(nsec);
        assert.equal((BigInt(hi) << 32n) | BigInt(lo), want);
        assert.ok(lo >= 0 && lo <= 0xffffffff && hi >= 0 && hi <= 0xffffffff);
      }),
      { numRuns: 2000 },
    );
  });
});
