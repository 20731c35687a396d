import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ChecksumAccumulator, checksumAdd, checksumAddU16, checksumFinish, internetChecksum } from '../../src/wire/checksum.js';
import { atOffset, hex, seedFrames } from './helpers.js';

/** RFC 1071 taken literally: sum big-endian 16-bit words (odd byte padded), fold carries, complement. */
function naiveChecksum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += ((b[i] ?? 0) << 8) + (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

test('the RFC 1071 section 3 example sums to ddf2 and so checksums to 220d', () => {
  const data = hex('0001 f203 f4f5 f6f7');
  assert.equal(checksumAdd(0, data), 0xddf2);
  assert.equal(internetChecksum(data), 0x220d);
});

test('an odd final byte is padded with zero on the right (RFC 1071 4.1)', () => {
  assert.equal(internetChecksum(hex('01')), ~0x0100 & 0xffff);
  assert.equal(internetChecksum(hex('0001 f2')), ~(0x0001 + 0xf200) & 0xffff);
});

test('the empty range checksums to ffff and all-zero data too', () => {
  assert.equal(internetChecksum(new Uint8Array(0)), 0xffff);
  assert.equal(internetChecksum(new Uint8Array(200)), 0xffff);
});

test('every IPv4 header of the seed capture sums to zero (checksums valid, as tshark says)', () => {
  for (const frame of seedFrames) {
    assert.equal(internetChecksum(frame, 14, 34), 0);
  }
});

test('a stored checksum verifies: the sum over data plus its checksum is zero', () => {
  const b = new Uint8Array(100).map((_, i) => (i * 37 + 11) & 0xff);
  b[10] = 0;
  b[11] = 0;
  const c = internetChecksum(b);
  b[10] = c >> 8;
  b[11] = c & 0xff;
  assert.equal(internetChecksum(b), 0);
});

test('the word path agrees with RFC 1071 at every alignment and length around its edges', () => {
  const data = new Uint8Array(300).map((_, i) => (i * 151 + 89) & 0xff);
  for (let at = 0; at < 8; at++) {
    for (const len of [0, 1, 2, 3, 63, 64, 65, 66, 67, 68, 127, 128, 129, 255, 256, 299]) {
      const slice = data.subarray(0, len);
      assert.equal(internetChecksum(atOffset(slice, at)), naiveChecksum(slice), `offset ${at} length ${len}`);
    }
  }
});

test('ranges inside a buffer are summed from start to end only', () => {
  const data = new Uint8Array(500).map((_, i) => (i * 7 + 3) & 0xff);
  for (const [s, e] of [[1, 499], [3, 200], [64, 65], [100, 100], [5, 4]] as const) {
    assert.equal(internetChecksum(data, s, e), naiveChecksum(data.subarray(s, Math.max(s, e))), `[${s}, ${e})`);
  }
});

test('property: a long range that is most of its array (a segment inside its packet) equals RFC 1071', () => {
  // The WebAssembly path copies such an array whole and sums the range in place: any start, odd too.
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 600, maxLength: 3000 }), fc.nat(64), fc.nat(64), (data, head, tail) => {
      const start = Math.min(head, data.length);
      const end = Math.max(start, data.length - tail);
      assert.equal(checksumFinish(checksumAdd(0, data, start, end)), naiveChecksum(data.subarray(start, end)));
    }),
    { numRuns: 400 },
  );
});

test('property: the fast checksum equals the literal RFC 1071 computation', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(7), (data, at) => {
      assert.equal(internetChecksum(atOffset(data, at)), naiveChecksum(data));
    }),
    { numRuns: 400 },
  );
});

test('property: partial sums over even-length pieces add up to the sum of the whole', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 2, maxLength: 2000 }), fc.nat(), (data, cutSeed) => {
      const cut = (cutSeed % (data.length >> 1)) * 2;
      const split = checksumAdd(checksumAdd(0, data, 0, cut), data, cut);
      assert.equal(checksumFinish(split), naiveChecksum(data));
    }),
    { numRuns: 300 },
  );
});

test('property: the accumulator chains pieces of any length, odd ones included', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 150 }), { maxLength: 8 }), (pieces) => {
      const acc = new ChecksumAccumulator();
      for (const p of pieces) acc.add(p);
      const whole = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of pieces) {
        whole.set(p, o);
        o += p.length;
      }
      assert.equal(acc.finish(), naiveChecksum(whole));
    }),
    { numRuns: 300 },
  );
});

test('a 9 MB buffer (more than one 2^20-word fold chunk) matches the literal computation', () => {
  const big = new Uint8Array(9 * 1024 * 1024 + 3);
  let x = 12345;
  for (let i = 0; i < big.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    big[i] = x >>> 24;
  }
  assert.equal(internetChecksum(big), naiveChecksum(big));
  big.fill(0xff);
  assert.equal(internetChecksum(big, 0, 9 * 1024 * 1024), 0);
});

test('16-bit words added to a partial sum carry around', () => {
  assert.equal(checksumAddU16(0xffff, 1), 1);
  assert.equal(checksumAddU16(0x8000, 0x8000), 1);
});
