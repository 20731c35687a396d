/**
 * The bounded reassembler (src/stack/fragment.ts) on its own: the RFC 791 / RFC 8200 rules, the
 * RFC 5722 overlap policy, every bound, and properties over random fragmentations and garbage.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fragmentIpv4, Reassembler } from '../../src/stack/fragment.js';
import { Ipv4Packet } from '../../src/wire/index.js';
import { echoRequest } from './packets.js';

const bytes = (n: number, seed = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe('Reassembler', () => {
  test('pieces in any order give back the original; the first fragment\'s info is returned', () => {
    const r = new Reassembler<string>();
    const d = bytes(40);
    assert.deepEqual(r.add(0, 'k', 16, d.subarray(16, 32), true), { status: 'incomplete' });
    assert.deepEqual(r.add(0, 'k', 32, d.subarray(32), false), { status: 'incomplete' });
    const done = r.add(0, 'k', 0, d.subarray(0, 16), true, 'first');
    assert.equal(done.status, 'complete');
    assert.ok(done.status === 'complete');
    assert.deepEqual(done.data, d);
    assert.equal(done.first, 'first');
    assert.equal(r.size, 0);
    assert.equal(r.bytesHeld, 0);
  });

  test('an exact duplicate is ignored; any other overlap kills the datagram and later fragments are discarded (RFC 5722)', () => {
    const r = new Reassembler<string>();
    const d = bytes(48);
    r.add(0, 'k', 0, d.subarray(0, 16), true, 'f');
    assert.deepEqual(r.add(0, 'k', 0, d.subarray(0, 16), true, 'f'), { status: 'dropped', reason: 'fragment-duplicate' });
    assert.deepEqual(r.add(0, 'k', 8, d.subarray(8, 24), true), { status: 'dropped', reason: 'fragment-overlap' });
    assert.deepEqual(r.add(0, 'k', 16, d.subarray(16), false), { status: 'dropped', reason: 'fragment-discarded' });
    assert.equal(r.bytesHeld, 0);
    // The tombstone goes with the timer; then the key is usable again.
    r.expire(30_000);
    assert.equal(r.size, 0);
    r.add(30_001, 'k', 16, d.subarray(16), false);
    assert.equal(r.add(30_001, 'k', 0, d.subarray(0, 16), true, 'f').status, 'complete');
  });

  test('length rules: a non-final fragment must be a non-empty multiple of 8; offsets multiples of 8; nothing beyond 65535', () => {
    const r = new Reassembler<string>();
    assert.deepEqual(r.add(0, 'a', 0, bytes(12), true), { status: 'dropped', reason: 'fragment-bad-length' });
    assert.deepEqual(r.add(0, 'a', 0, bytes(0), true), { status: 'dropped', reason: 'fragment-bad-length' });
    assert.deepEqual(r.add(0, 'a', 4, bytes(8), true), { status: 'dropped', reason: 'fragment-bad-length' });
    assert.deepEqual(r.add(0, 'a', 65528, bytes(16), false), { status: 'dropped', reason: 'fragment-too-big' });
  });

  test('a second, different end of the datagram, or data beyond the end, is inconsistent', () => {
    const r = new Reassembler<string>();
    r.add(0, 'a', 16, bytes(8), false);
    assert.deepEqual(r.add(0, 'a', 32, bytes(8), false), { status: 'dropped', reason: 'fragment-inconsistent' });
    const r2 = new Reassembler<string>();
    r2.add(0, 'b', 16, bytes(8), false);
    assert.deepEqual(r2.add(0, 'b', 24, bytes(8), true), { status: 'dropped', reason: 'fragment-inconsistent' });
  });

  test('bounds: at most maxDatagrams partial datagrams (oldest evicted), maxTotalBytes held, maxFragments each', () => {
    const evicted: string[] = [];
    const r = new Reassembler<string>({ maxDatagrams: 3, maxTotalBytes: 64, maxFragments: 4 });
    r.onDiscard = (why, key) => evicted.push(`${why}:${key}`);
    for (const k of ['a', 'b', 'c', 'd']) r.add(0, k, 0, bytes(8), true, k);
    assert.equal(r.size, 3);
    assert.deepEqual(evicted, ['fragment-evicted:a']);
    // A new datagram needs a slot: the oldest (b) goes; then c, d and e hold 8 + 8 + 48 = 64 bytes.
    r.add(0, 'e', 8, bytes(48), true);
    assert.equal(r.bytesHeld, 64);
    assert.deepEqual(evicted, ['fragment-evicted:a', 'fragment-evicted:b']);
    // 8 more bytes for e exceed 64: the oldest other datagram (c) is evicted to make room.
    r.add(0, 'e', 56, bytes(8), true);
    assert.equal(r.bytesHeld, 64);
    assert.deepEqual(evicted, ['fragment-evicted:a', 'fragment-evicted:b', 'fragment-evicted:c']);
    const f = new Reassembler<string>({ maxFragments: 2 });
    f.add(0, 'x', 0, bytes(8), true, 'x');
    f.add(0, 'x', 16, bytes(8), true);
    assert.deepEqual(f.add(0, 'x', 32, bytes(8), true), { status: 'dropped', reason: 'fragment-too-many' });
  });

  test('timeout: a partial datagram is dropped at its deadline; nextDeadline reports it', () => {
    const r = new Reassembler<string>({ timeout: 1000 });
    const why: string[] = [];
    r.onDiscard = (w) => why.push(w);
    r.add(500, 'a', 0, bytes(8), true, 'a');
    assert.equal(r.nextDeadline(), 1500);
    assert.equal(r.expire(1499), 0);
    assert.equal(r.expire(1500), 1);
    assert.deepEqual(why, ['fragment-timeout']);
    assert.equal(r.nextDeadline(), undefined);
  });

  test('property: any fragmentation of any payload, delivered in any order (with duplicates), reassembles to the payload', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 3000 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 60 }),
        (data, sizes, order) => {
          // Cut points at multiples of 8.
          const pieces: { off: number; end: number }[] = [];
          let off = 0;
          let i = 0;
          while (off < data.length) {
            const len = (sizes[i++ % sizes.length] as number) * 8;
            const end = Math.min(data.length, off + len);
            pieces.push({ off, end });
            off = end;
          }
          const seq = [...pieces];
          for (const [j, o] of order.entries()) {
            const a = j % seq.length;
            const b = o % seq.length;
            [seq[a], seq[b]] = [seq[b] as (typeof seq)[0], seq[a] as (typeof seq)[0]];
          }
          if (order.length > 0) seq.push(seq[(order[0] as number) % seq.length] as (typeof seq)[0]); // one duplicate
          const r = new Reassembler<number>({ maxFragments: 1000 });
          let result: Uint8Array | undefined;
          for (const p of seq) {
            const res = r.add(0, 'k', p.off, data.subarray(p.off, p.end), p.end < data.length, 1);
            if (res.status === 'complete') result = res.data;
          }
          assert.deepEqual(result, data);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('property: arbitrary fragments never throw and never hold more than the limits', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd', 'e'), off: fc.integer({ min: -16, max: 70000 }), len: fc.integer({ min: 0, max: 2000 }), more: fc.boolean(), t: fc.nat(100000) }), { maxLength: 200 }),
        (frags) => {
          const r = new Reassembler<number>({ maxDatagrams: 4, maxTotalBytes: 8000, maxFragments: 16, timeout: 5000 });
          let now = 0;
          for (const f of frags) {
            now += f.t % 1000;
            r.add(now, f.key, f.off, new Uint8Array(f.len), f.more, 0);
            assert.ok(r.size <= 4);
            assert.ok(r.bytesHeld <= 8000 && r.bytesHeld >= 0);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('fragmentIpv4', () => {
  test('fragments carry multiples of 8 bytes, MF on all but the last, the same identification; DF cleared', () => {
    const p = echoRequest('10.0.0.1', '10.0.0.2', 1, 1, bytes(1000), 77);
    const f = fragmentIpv4(p, 300);
    assert.equal(f.length, 4);
    let expectOff = 0;
    for (const [i, b] of f.entries()) {
      const v = new Ipv4Packet(b);
      assert.equal(v.check(), undefined);
      assert.ok(v.verifyChecksum());
      assert.ok(b.length <= 300);
      assert.equal(v.identification, 77);
      assert.equal(v.fragmentOffset, expectOff);
      assert.equal(v.moreFragments, i < f.length - 1);
      if (i < f.length - 1) assert.equal(v.payload.length % 8, 0);
      expectOff += v.payload.length;
    }
    assert.equal(expectOff, 1008);
  });
});
