/**
 * SipHash-2-4 against the reference test vectors (Aumasson & Bernstein, siphash24.c / vectors.h:
 * key 00 01 .. 0f, message 00 01 .. (i-1) for i = 0..63), and the ISN generator against
 * RFC 9293 3.4.1: ISN = M + F(tuple, key), M a 4 microsecond clock.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { siphash24 } from '../../src/tcp/siphash.js';
import { IsnGenerator, isnClock, issAbove, type ConnectionTuple } from '../../src/tcp/isn.js';
import { seqDiff, seqGt } from '../../src/wire/seq.js';

const VECTORS = [
  0x726fdb47dd0e0e31n, 0x74f839c593dc67fdn, 0x0d6c8009d9a94f5an, 0x85676696d7fb7e2dn,
  0xcf2794e0277187b7n, 0x18765564cd99a68dn, 0xcbc9466e58fee3cen, 0xab0200f58b01d137n,
  0x93f5f5799a932462n, 0x9e0082df0ba9e4b0n, 0x7a5dbbc594ddb9f3n, 0xf4b32f46226bada7n,
  0x751e8fbc860ee5fbn, 0x14ea5627c0843d90n, 0xf723ca908e7af2een, 0xa129ca6149be45e5n,
  0x3f2acc7f57c29bdbn, 0x699ae9f52cbe4794n, 0x4bc1b3f0968dd39cn, 0xbb6dc91da77961bdn,
  0xbed65cf21aa2ee98n, 0xd0f2cbb02e3b67c7n, 0x93536795e3a33e88n, 0xa80c038ccd5ccec8n,
  0xb8ad50c6f649af94n, 0xbce192de8a85b8ean, 0x17d835b85bbb15f3n, 0x2f2e6163076bcfadn,
  0xde4daaaca71dc9a5n, 0xa6a2506687956571n, 0xad87a3535c49ef28n, 0x32d892fad841c342n,
  0x7127512f72f27ccen, 0xa7f32346f95978e3n, 0x12e0b01abb051238n, 0x15e034d40fa197aen,
  0x314dffbe0815a3b4n, 0x027990f029623981n, 0xcadcd4e59ef40c4dn, 0x9abfd8766a33735cn,
  0x0e3ea96b5304a7d0n, 0xad0c42d6fc585992n, 0x187306c89bc215a9n, 0xd4a60abcf3792b95n,
  0xf935451de4f21df2n, 0xa9538f0419755787n, 0xdb9acddff56ca510n, 0xd06c98cd5c0975ebn,
  0xe612a3cb9ecba951n, 0xc766e62cfcadaf96n, 0xee64435a9752fe72n, 0xa192d576b245165an,
  0x0a8787bf8ecb74b2n, 0x81b3e73d20b49b6fn, 0x7fa8220ba3b2ecean, 0x245731c13ca42499n,
  0xb78dbfaf3a8d83bdn, 0xea1ad565322a1a0bn, 0x60e61c23a3795013n, 0x6606d7e446282b93n,
  0x6ca4ecb15c5f91e1n, 0x9f626da15c9625f3n, 0xe51b38608ef25f57n, 0x958a324ceb064572n,
];

const KEY = Uint8Array.from({ length: 16 }, (_, i) => i);

describe('SipHash-2-4', () => {
  test('matches all 64 reference vectors for messages of 0..63 bytes', () => {
    for (let i = 0; i < 64; i++) {
      const msg = Uint8Array.from({ length: i }, (_, j) => j);
      assert.equal(siphash24(KEY, msg), VECTORS[i], `message length ${i}`);
    }
  });

  test('rejects a key that is not 16 bytes with a stable code', () => {
    assert.throws(() => siphash24(new Uint8Array(15), new Uint8Array(0)), { code: 'ERR_SYNACK_BAD_ARGUMENT' });
  });
});

const TUPLE: ConnectionTuple = {
  localAddress: Uint8Array.of(10, 0, 0, 1),
  localPort: 49152,
  remoteAddress: Uint8Array.of(10, 0, 0, 2),
  remotePort: 80,
};

describe('ISN generator (RFC 9293 3.4.1, RFC 6528)', () => {
  const gen = new IsnGenerator(KEY);

  test('M is a 4 microsecond clock: 250 ticks per millisecond (MUST-8)', () => {
    assert.equal(isnClock(0), 0);
    assert.equal(isnClock(1), 250);
    assert.equal(isnClock(0.004), 1);
    assert.equal(seqDiff(gen.isn(1001, TUPLE), gen.isn(1000, TUPLE)), 250);
  });

  test('the clock wraps after 2^32 ticks of 4 microseconds (about 4.77 hours)', () => {
    const period = 2 ** 32 / 250; // ms
    assert.equal(gen.isn(12345 + period, TUPLE), gen.isn(12345, TUPLE));
  });

  test('F depends on every element of the 4-tuple and on the key (SHLD-1)', () => {
    const base = gen.offset(TUPLE);
    assert.notEqual(gen.offset({ ...TUPLE, localPort: 49153 }), base);
    assert.notEqual(gen.offset({ ...TUPLE, remotePort: 81 }), base);
    assert.notEqual(gen.offset({ ...TUPLE, localAddress: Uint8Array.of(10, 0, 0, 3) }), base);
    assert.notEqual(gen.offset({ ...TUPLE, remoteAddress: Uint8Array.of(10, 0, 0, 3) }), base);
    const other = new IsnGenerator(Uint8Array.from({ length: 16 }, (_, i) => 255 - i));
    assert.notEqual(other.offset(TUPLE), base);
  });

  test('F is the low 32 bits of SipHash-2-4 over localaddr|localport|remoteaddr|remoteport|domain', () => {
    const msg = Uint8Array.of(10, 0, 0, 1, 0xc0, 0x00, 10, 0, 0, 2, 0x00, 0x50, 0);
    assert.equal(BigInt(gen.offset(TUPLE)), siphash24(KEY, msg) & 0xffffffffn);
    assert.equal(gen.isn(0, TUPLE), gen.offset(TUPLE));
  });

  test('the timestamp offset is a different secret than the ISN offset', () => {
    assert.notEqual(gen.timestampOffset(TUPLE), gen.offset(TUPLE));
  });

  test('an ISS for a connection reopened from TIME-WAIT lies above the last sequence number used (MAY-2)', () => {
    const last = 0xfffffff0;
    const iss = issAbove(5, last);
    assert.ok(seqGt(iss, last));
    const far = (last + 0x10000000) >>> 0;
    assert.equal(issAbove(far, last), far);
  });
});
