/**
 * Links (src/link): the virtual-time scheduler, the seeded generator, the in-memory pair with its
 * fault model and one-shot controls, and the pcap tap (read back by our decoder and by tshark).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCapture } from '../../src/capture/decoder.js';
import { LinkType } from '../../src/capture/linktype.js';
import { BinaryHeap } from '../../src/link/heap.js';
import { MemoryPair, type MemoryPairOptions, type WireEvent } from '../../src/link/memory.js';
import { SeededRandom, seedFromString } from '../../src/link/rng.js';
import { VirtualScheduler } from '../../src/link/scheduler.js';
import { CaptureRecorder, PcapTap } from '../../src/link/tap.js';

describe('BinaryHeap', () => {
  test('pops in sorted order, ties by the second key, across interleaved pushes and pops and after retain', () => {
    const rng = new SeededRandom(5);
    const heap = new BinaryHeap<[number, number]>((x, y) => x[0] < y[0] || (x[0] === y[0] && x[1] < y[1]));
    const model: [number, number][] = [];
    const byKey = (x: [number, number], y: [number, number]): number => x[0] - y[0] || x[1] - y[1];
    for (let i = 0; i < 5000; i++) {
      if (rng.chance(0.6) || model.length === 0) {
        const e: [number, number] = [rng.int(50), i];
        heap.push(e);
        model.push(e);
      } else {
        model.sort(byKey);
        assert.deepEqual(heap.pop(), model.shift());
      }
      if (i === 2500) {
        heap.retain((e) => e[0] % 3 !== 0);
        model.splice(0, model.length, ...model.filter((e) => e[0] % 3 !== 0));
      }
      assert.equal(heap.size, model.length);
    }
    model.sort(byKey);
    for (const e of model) assert.deepEqual(heap.pop(), e);
    assert.equal(heap.pop(), undefined);
  });
});

describe('VirtualScheduler', () => {
  test('runs events in time order, equal times in the order scheduled; the clock follows', () => {
    const s = new VirtualScheduler();
    const seen: string[] = [];
    s.schedule(20, () => seen.push(`b@${s.now()}`));
    s.schedule(10, () => seen.push(`a@${s.now()}`));
    s.schedule(20, () => seen.push(`c@${s.now()}`));
    s.schedule(10, () => s.schedule(10, () => seen.push(`d@${s.now()}`)));
    s.runUntil(() => false);
    assert.deepEqual(seen, ['a@10', 'd@10', 'b@20', 'c@20']);
    assert.equal(s.now(), 20);
  });

  test('cancelled events never run; the past is clamped to now; runUntil stops at predicates and limits', () => {
    const s = new VirtualScheduler(100);
    let ran = 0;
    const t = s.schedule(150, () => ran++);
    t.cancel();
    s.schedule(50, () => ran++); // in the past: runs at 100
    s.runUntil(() => false);
    assert.equal(ran, 1);
    assert.equal(s.now(), 100);
    let n = 0;
    for (let i = 1; i <= 10; i++) s.schedule(100 + i * 10, () => n++);
    assert.equal(s.runUntil(() => n === 3), true);
    assert.equal(s.now(), 130);
    assert.equal(s.runUntil(() => false, { until: 165 }), false);
    assert.equal(n, 6);
    assert.equal(s.now(), 165);
    s.runUntil(() => false, { events: 2 });
    assert.equal(n, 8);
  });

  test('runUntilAsync lets promise continuations schedule work at the same instant', async () => {
    const s = new VirtualScheduler();
    const seen: number[] = [];
    s.schedule(5, () => {
      void Promise.resolve().then(() => s.schedule(s.now(), () => seen.push(s.now())));
    });
    s.schedule(10, () => seen.push(s.now()));
    await s.runUntilAsync(() => seen.length === 2);
    assert.deepEqual(seen, [5, 10]);
  });
});

describe('SeededRandom', () => {
  test('string seeds use FNV-1a (test vectors: "" -> 0x811c9dc5, "a" -> 0xe40c292c, "foobar" -> 0xbf9cf968)', () => {
    assert.equal(seedFromString(''), 0x811c9dc5);
    assert.equal(seedFromString('a'), 0xe40c292c);
    assert.equal(seedFromString('foobar'), 0xbf9cf968);
  });

  test('same seed, same sequence; floats in [0, 1) with a mean near 1/2', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const c = new SeededRandom(43);
    const xa = Array.from({ length: 100 }, () => a.nextU32());
    assert.deepEqual(xa, Array.from({ length: 100 }, () => b.nextU32()));
    assert.notDeepEqual(xa, Array.from({ length: 100 }, () => c.nextU32()));
    const r = new SeededRandom(7);
    let sum = 0;
    for (let i = 0; i < 100_000; i++) {
      const x = r.next();
      assert.ok(x >= 0 && x < 1);
      sum += x;
    }
    assert.ok(Math.abs(sum / 100_000 - 0.5) < 0.01);
  });
});

function pair(o: Partial<MemoryPairOptions> = {}): { s: VirtualScheduler; p: MemoryPair; atB: { t: number; d: Uint8Array }[]; atA: { t: number; d: Uint8Array }[]; wire: WireEvent[] } {
  const s = new VirtualScheduler();
  const p = new MemoryPair({ scheduler: s, ...o });
  const atB: { t: number; d: Uint8Array }[] = [];
  const atA: { t: number; d: Uint8Array }[] = [];
  p.b.onReceive((d) => atB.push({ t: s.now(), d }));
  p.a.onReceive((d) => atA.push({ t: s.now(), d }));
  const wire: WireEvent[] = [];
  p.observe((e) => wire.push(e));
  return { s, p, atB, atA, wire };
}

const pkt = (i: number, n = 100): Uint8Array => Uint8Array.from({ length: n }, (_, j) => (i + j) & 0xff);

describe('MemoryPair', () => {
  test('delivers after the delay, in order, never from inside send()', () => {
    const { s, p, atB } = pair({ delay: 5 });
    p.a.send(pkt(1));
    assert.equal(atB.length, 0);
    p.a.send(pkt(2));
    s.runUntil(() => false);
    assert.deepEqual(
      atB.map((x) => [x.t, x.d[0]]),
      [
        [5, 1],
        [5, 2],
      ],
    );
  });

  test('sendMany: the fates are those of separate sends; copies arriving at one instant come as one batch, in order', () => {
    const opts = { seed: 11, loss: 0.2, duplicate: 0.2, reorder: 0.2, delay: 5 };
    // The same packets sent one by one through onReceive ...
    const one = pair(opts);
    for (let i = 0; i < 200; i++) one.p.a.send(pkt(i));
    one.s.runUntil(() => false);
    // ... and in one sendMany through onPackets.
    const s = new VirtualScheduler();
    const p = new MemoryPair({ scheduler: s, ...opts });
    const batches: { t: number; ids: number[] }[] = [];
    p.b.onPackets((ps) => batches.push({ t: s.now(), ids: ps.map((x) => x[0] as number) }));
    p.a.sendMany(Array.from({ length: 200 }, (_, i) => pkt(i)));
    s.runUntil(() => false);
    assert.deepEqual(
      batches.flatMap((b) => b.ids.map((id) => [b.t, id])),
      one.atB.map((x) => [x.t, x.d[0]]),
      'the same packets at the same times in the same order',
    );
    assert.ok(batches.length < one.atB.length, 'fewer deliveries than packets');
    assert.ok(new Set(batches.map((b) => b.t)).size === batches.length, 'one batch per arrival instant');
    assert.equal(p.aToB.stats.delivered, one.p.aToB.stats.delivered);
  });

  test('loss, duplication and corruption happen at about their rates; a corrupted copy differs in exactly one bit', () => {
    const { s, p, atB, wire } = pair({ seed: 3, loss: 0.1, duplicate: 0.05, corrupt: 0.05 });
    const n = 10_000;
    for (let i = 0; i < n; i++) p.a.send(pkt(i, 40));
    s.runUntil(() => false);
    const st = p.aToB.stats;
    assert.equal(st.sent, n);
    // Binomial: n p +- 5 standard deviations.
    const within = (x: number, prob: number, total: number): boolean => Math.abs(x - total * prob) < 5 * Math.sqrt(total * prob * (1 - prob));
    assert.ok(within(st.lost, 0.1, n), `lost ${st.lost}`);
    assert.ok(within(st.duplicated, 0.05, n - st.lost), `duplicated ${st.duplicated}`);
    assert.ok(within(st.corrupted, 0.05, n - st.lost), `corrupted ${st.corrupted}`);
    assert.equal(atB.length, n - st.lost + st.duplicated);
    for (const e of wire.filter((w) => w.fate === 'corrupted')) {
      const got = atB.find((x) => x.d !== e.packet && diffBits(x.d, e.packet) === 1);
      assert.ok(got, 'a corrupted copy with one flipped bit arrived');
    }
  });

  test('the reorder fault holds a packet back so the next ones overtake it', () => {
    const { s, p, atB } = pair({ seed: 1, delay: 10, aToB: { reorder: 0.2 } });
    for (let i = 0; i < 100; i++) s.schedule(i, () => p.a.send(pkt(i, 4)));
    s.runUntil(() => false);
    const order = atB.map((x) => x.d[0]);
    assert.equal(order.length, 100);
    assert.notDeepEqual(order, [...order].sort((x, y) => (x ?? 0) - (y ?? 0)));
    assert.ok(p.aToB.stats.reordered > 5 && p.aToB.stats.reordered < 40);
    assert.equal(p.bToA.stats.reordered, 0);
  });

  test('jitter keeps arrivals within [delay, delay + jitter)', () => {
    const { s, p, atB } = pair({ seed: 2, delay: 10, jitter: 4 });
    for (let i = 0; i < 200; i++) p.a.send(pkt(i, 4));
    s.runUntil(() => false);
    assert.ok(atB.every((x) => x.t >= 10 && x.t < 14));
    assert.ok(new Set(atB.map((x) => x.t)).size > 100);
  });

  test('bandwidth: 1250-byte packets at 1 Mbit/s take 10 ms each to serialize; the queue is drop-tail bounded', () => {
    const { s, p, atB } = pair({ delay: 1, bandwidth: 1_000_000, queueLimit: 5000 });
    for (let i = 0; i < 6; i++) p.a.send(pkt(i, 1250));
    s.runUntil(() => false);
    assert.deepEqual(
      atB.map((x) => x.t),
      [11, 21, 31, 41],
    );
    assert.equal(p.aToB.stats.queueFull, 2);
  });

  test('MTU: larger packets are dropped, or send() throws with mtuAction error', () => {
    const { s, p, atB, wire } = pair({ mtu: 576 });
    p.a.send(pkt(1, 577));
    p.a.send(pkt(2, 576));
    s.runUntil(() => false);
    assert.equal(atB.length, 1);
    assert.equal(wire[0]?.fate, 'too-big');
    const strict = pair({ mtu: 576, mtuAction: 'error' });
    assert.throws(() => strict.p.a.send(pkt(1, 577)), { code: 'ERR_SYNACK_LINK_MTU' });
  });

  test('one-shot controls act on exactly the next packet of their direction', () => {
    const { s, p, atB, atA } = pair({ delay: 1 });
    p.aToB.dropNext();
    p.aToB.duplicateNext();
    p.aToB.delayNext(50);
    p.aToB.corruptNext();
    p.bToA.dropNext();
    for (let i = 1; i <= 5; i++) p.a.send(pkt(i, 8));
    p.b.send(pkt(9, 8));
    p.b.send(pkt(10, 8));
    s.runUntil(() => false);
    // 1 dropped, 2 twice (the copy 0.1 ms later), 3 late by 50 ms, 4 with one bit flipped, 5 normal.
    assert.deepEqual(
      atB.map((x) => x.t),
      [1, 1, 1, 1.1, 51],
    );
    assert.deepEqual(atB[0]?.d, pkt(2, 8));
    assert.equal(diffBits(atB[1]?.d ?? new Uint8Array(), pkt(4, 8)), 1);
    assert.deepEqual(atB[2]?.d, pkt(5, 8));
    assert.deepEqual(atB[3]?.d, pkt(2, 8));
    assert.deepEqual(atB[4]?.d, pkt(3, 8));
    assert.deepEqual(
      atA.map((x) => x.d[0]),
      [10],
    );
    assert.equal(p.aToB.pendingControls, 0);
  });

  test('the same seed gives the same fates; another seed others', () => {
    const fates = (seed: number): string[] => {
      const { s, p, wire } = pair({ seed, loss: 0.3, duplicate: 0.2, reorder: 0.2 });
      for (let i = 0; i < 200; i++) p.a.send(pkt(i, 10));
      s.runUntil(() => false);
      return wire.map((w) => `${w.fate}${w.reordered ? 'r' : ''}`);
    };
    assert.deepEqual(fates(5), fates(5));
    assert.notDeepEqual(fates(5), fates(6));
  });

  test('nothing is delivered after close(); send() on a closed end is a no-op', () => {
    const { s, p, atB } = pair({ delay: 5 });
    p.a.send(pkt(1));
    p.b.close();
    p.a.send(pkt(2));
    s.runUntil(() => false);
    assert.equal(atB.length, 0);
    p.a.close();
    p.a.send(pkt(3));
    assert.equal(p.aToB.stats.sent, 2);
  });

  test('bad fault parameters are rejected', () => {
    const s = new VirtualScheduler();
    assert.throws(() => new MemoryPair({ scheduler: s, loss: 1.5 }), { code: 'ERR_SYNACK_BAD_ARGUMENT' });
    assert.throws(() => new MemoryPair({ scheduler: s, delay: -1 }), { code: 'ERR_SYNACK_BAD_ARGUMENT' });
    assert.throws(() => new MemoryPair({ scheduler: s, mtu: 20 }), { code: 'ERR_SYNACK_BAD_ARGUMENT' });
  });
});

function diffBits(x: Uint8Array, y: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    let v = (x[i] ?? 0) ^ (y[i] ?? 0);
    while (v) {
      n += v & 1;
      v >>>= 1;
    }
  }
  return n;
}

const hasTshark = spawnSync('tshark', ['--version'], { encoding: 'utf8' }).status === 0;

describe('PcapTap', () => {
  // The tap records any bytes; for tshark they are real IPv4 headers (protocol 253, "experimental",
  // with a correct header checksum) and 8 bytes of payload.
  const ip = (id: number, len = 28): Uint8Array => {
    const b = new Uint8Array(len);
    b.set([0x45, 0, len >> 8, len & 255, id >> 8, id & 255, 0x40, 0, 64, 253, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += ((b[i] as number) << 8) | (b[i + 1] as number);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    const c = ~sum & 0xffff;
    b[10] = c >> 8;
    b[11] = c & 255;
    return b;
  };

  for (const format of ['pcap', 'pcapng'] as const) {
    test(`records both directions with virtual timestamps (${format}, LINKTYPE_RAW)${hasTshark ? '' : ' (tshark not installed: its check is skipped)'}`, () => {
      const s = new VirtualScheduler();
      const p = new MemoryPair({ scheduler: s, delay: 2.5 });
      const chunks: Uint8Array[] = [];
      const tap = new PcapTap(p.a, new CaptureRecorder({ sink: (c) => chunks.push(c), format, epochSeconds: 1_700_000_000 }), () => s.now());
      const back: Uint8Array[] = [];
      tap.onReceive((d) => back.push(d));
      p.b.onReceive((d) => p.b.send(d.slice())); // echo
      s.schedule(1, () => tap.send(ip(1)));
      s.schedule(2, () => tap.send(ip(2)));
      s.runUntil(() => false);
      assert.equal(back.length, 2, 'the tap passes packets through');
      const file = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      let o = 0;
      for (const c of chunks) {
        file.set(c, o);
        o += c.length;
      }
      const d = decodeCapture(file);
      assert.equal(d.error, undefined);
      assert.equal(d.format, format);
      assert.deepEqual(
        d.records.map((r) => [r.linkType, r.tsSec, r.tsNsec, r.data[5]]),
        [
          [LinkType.RAW, 1_700_000_000, 1_000_000, 1],
          [LinkType.RAW, 1_700_000_000, 2_000_000, 2],
          [LinkType.RAW, 1_700_000_000, 6_000_000, 1],
          [LinkType.RAW, 1_700_000_000, 7_000_000, 2],
        ],
      );
      if (!hasTshark) return;
      const dir = mkdtempSync(join(tmpdir(), 'sk-link-tap-'));
      try {
        const path = join(dir, `tap.${format}`);
        writeFileSync(path, file);
        const t = spawnSync('tshark', ['-r', path, '-o', 'ip.check_checksum:TRUE', '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'ip.id', '-e', 'ip.checksum.status'], { encoding: 'utf8' });
        assert.equal(t.status, 0, t.stderr);
        assert.deepEqual(
          t.stdout.trim().split('\n').map((l) => l.split('\t').slice(1)),
          [
            ['0x0001', '1'],
            ['0x0002', '1'],
            ['0x0001', '1'],
            ['0x0002', '1'],
          ],
        );
        assert.match(t.stdout.split('\n')[2] ?? '', /^1700000000\.006/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
