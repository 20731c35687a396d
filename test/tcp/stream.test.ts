/**
 * Stream integrity through the deterministic simulation harness: bytes in == bytes out, for empty,
 * one-byte and one-megabyte streams, with half-close, and with seeded loss, duplication and
 * reordering. Every scenario is reproducible from its seed.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Pair, StreamApp, type LinkConfig } from '../harness/pair.js';
import { SeededRandom } from '../../src/link/rng.js';
import type { TcpConfig } from '../../src/tcp/config.js';
import { TcpState } from '../../src/tcp/state.js';

interface Scenario {
  readonly seed: number;
  readonly aToB: number;
  readonly bToA?: number;
  /** B starts sending only after A's FIN arrived (B in CLOSE-WAIT keeps sending, 3.6.1). */
  readonly halfClose?: boolean;
  readonly link?: LinkConfig;
  readonly config?: Partial<TcpConfig>;
  readonly maxTime?: number;
  readonly issA?: number;
  readonly issB?: number;
}

interface Outcome {
  readonly pair: Pair;
  readonly atB: Uint8Array;
  readonly atA: Uint8Array;
  readonly dataA: Uint8Array;
  readonly dataB: Uint8Array;
  readonly finished: boolean;
}

function transfer(s: Scenario): Outcome {
  const pair = new Pair({
    seed: s.seed,
    link: s.link ?? {},
    configA: s.config ?? {},
    configB: s.config ?? {},
    ...(s.issA === undefined ? {} : { issA: s.issA }),
    ...(s.issB === undefined ? {} : { issB: s.issB }),
  });
  const gen = new SeededRandom(s.seed ^ 0x5eed);
  const dataA = gen.fill(new Uint8Array(s.aToB));
  const dataB = gen.fill(new Uint8Array(s.bToA ?? 0));
  const fromA = new StreamApp(dataA);
  const fromB = new StreamApp(dataB);
  const atB = new StreamApp(new Uint8Array(0));
  const atA = new StreamApp(new Uint8Array(0));
  const finished = pair.run({
    app: (p) => {
      fromA.pump(p.a);
      atB.drain(p.b);
      // With halfClose, B's application starts its own stream only once A's FIN arrived.
      if (!s.halfClose || p.b.eof) fromB.pump(p.b);
      atA.drain(p.a);
    },
    done: (p) => p.b.isClosed && (p.a.state === TcpState.TimeWait || p.a.isClosed),
    maxTime: s.maxTime ?? 3_600_000,
  });
  return { pair, atB: atB.joined(), atA: atA.joined(), dataA, dataB, finished };
}

function assertDelivered(o: Outcome): void {
  assert.ok(o.finished, `did not finish: A ${o.pair.a.state}, B ${o.pair.b.state}, t=${o.pair.now}`);
  assert.equal(o.atB.length, o.dataA.length, 'A->B length');
  assert.ok(Buffer.from(o.atB).equals(Buffer.from(o.dataA)), 'A->B bytes differ');
  assert.equal(o.atA.length, o.dataB.length, 'B->A length');
  assert.ok(Buffer.from(o.atA).equals(Buffer.from(o.dataB)), 'B->A bytes differ');
  const endA = o.pair.eventsA.at(-1)?.type;
  assert.ok(o.pair.a.state === TcpState.TimeWait || endA === 'closed', `A ended ${o.pair.a.state} ${endA}`);
  assert.equal(o.pair.eventsB.at(-1)?.type, 'closed');
}

const MB = 1 << 20;

describe('stream integrity over a clean link', () => {
  test('an empty stream opens and closes cleanly in both directions', () => {
    assertDelivered(transfer({ seed: 1, aToB: 0 }));
  });

  test('one byte arrives intact', () => {
    assertDelivered(transfer({ seed: 2, aToB: 1 }));
  });

  test('one megabyte arrives intact', () => {
    const o = transfer({ seed: 3, aToB: MB });
    assertDelivered(o);
    assert.equal(o.pair.lost, 0);
    assert.equal(o.pair.a.counters.retransmissions, 0);
  });

  test('one megabyte each way with half-close: B sends all of its megabyte after A closed its side', () => {
    const o = transfer({ seed: 4, aToB: MB, bToA: MB, halfClose: true });
    assertDelivered(o);
    assert.ok(o.pair.eventsB.findIndex((e) => e.type === 'peer-closed') >= 0);
  });

  test('both directions at once', () => {
    assertDelivered(transfer({ seed: 5, aToB: 300_000, bToA: 200_000 }));
  });

  test('with timestamps, window scaling and SACK off (plain RFC 793 options)', () => {
    assertDelivered(transfer({ seed: 6, aToB: 200_000, config: { timestamps: false, windowScaling: false, sack: false } }));
  });

  test('sequence numbers wrap past 2^32 in both directions without a hitch', () => {
    const o = transfer({ seed: 8, aToB: 300_000, bToA: 300_000, issA: 0xffffffff - 1000, issB: 0xfffffff0 });
    assertDelivered(o);
    assert.ok(o.pair.a.info().sndUna < 1_000_000, 'A wrapped');
  });

  test('with small buffers (SWS avoidance and window updates carry the flow)', () => {
    assertDelivered(transfer({ seed: 7, aToB: 100_000, bToA: 50_000, config: { sendBufferSize: 3000, recvBufferSize: 2000 } }));
  });
});

describe('stream integrity over a lossy link', () => {
  const lossy: LinkConfig = { delay: 10, jitter: 8, loss: 0.03, duplicate: 0.02, reorder: 0.05, reorderDelay: 15 };

  for (const seed of [11, 12, 13]) {
    test(`one megabyte with half-close survives 3% loss, duplication and reordering (seed ${seed})`, () => {
      const o = transfer({ seed, aToB: MB, bToA: 100_000, halfClose: true, link: lossy });
      assertDelivered(o);
      assert.ok(o.pair.lost > 0 && o.pair.duplicated > 0);
    });
  }

  for (const seed of [41, 42]) {
    test(`a slow reader with a 1000-byte buffer: zero windows, probes and window updates keep the stream intact (seed ${seed})`, () => {
      const cfg = { recvBufferSize: 1000, userTimeout: 1e9 };
      const pair = new Pair({ seed, link: { delay: 8, jitter: 10, loss: 0.05, duplicate: 0.02, reorder: 0.05 }, configA: cfg, configB: cfg, trace: true });
      const rng = new SeededRandom(seed);
      const data = rng.fill(new Uint8Array(30_000));
      const tx = new StreamApp(data);
      const back = new StreamApp(new Uint8Array(0));
      const got: Uint8Array[] = [];
      let nextRead = 0;
      const finished = pair.run({
        app: (p) => {
          tx.pump(p.a);
          // B's application reads at most 300 bytes, once every 2 s.
          if (p.now >= nextRead && p.b.readableBytes > 0) {
            got.push(p.b.read(1 + rng.int(300)));
            nextRead = p.now + 2000;
          }
          if (p.b.eof) back.pump(p.b);
        },
        appWakeAt: (p) => (p.b.readableBytes > 0 ? nextRead : undefined),
        done: (p) => p.b.isClosed && (p.a.state === TcpState.TimeWait || p.a.isClosed),
        maxTime: 1e9,
      });
      assert.ok(finished);
      assert.ok(Buffer.concat(got).equals(Buffer.from(data)));
      // The window really closed, and A probed it with one-octet segments (3.8.6.1).
      assert.ok(pair.trace.some((e) => e.from === 'B' && e.seg.window === 0 && e.seg.flags & 0x010));
      assert.ok(pair.trace.some((e) => e.from === 'A' && e.seg.payload.length === 1));
    });
  }

  test('a lost SYN is recovered by retransmission', () => {
    // Seed chosen so the first segment (the SYN) is lost at loss 0.5; the test checks that it was.
    const o = transfer({ seed: 21, aToB: 1000, link: { loss: 0.5, delay: 5 } });
    assertDelivered(o);
    assert.ok(o.pair.a.counters.retransmissions > 0);
  });

  test('the same seed replays the same run; another seed does not', () => {
    const run = (seed: number) => {
      const o = transfer({ seed, aToB: 200_000, link: lossy });
      return [o.pair.now, o.pair.sent.A, o.pair.sent.B, o.pair.lost, o.pair.a.counters.retransmissions].join(',');
    };
    assert.equal(run(31), run(31));
    assert.notEqual(run(31), run(32));
  });

  test('bytes in equal bytes out for random seeds, sizes and link faults (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0x7fffffff }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.integer({ min: 0, max: 20_000 }),
        fc.double({ min: 0, max: 0.1, noNaN: true }),
        fc.double({ min: 0, max: 0.1, noNaN: true }),
        fc.boolean(),
        (seed, aToB, bToA, loss, reorder, halfClose) => {
          assertDelivered(transfer({ seed, aToB, bToA, halfClose, link: { delay: 3, jitter: 4, loss, duplicate: 0.02, reorder, reorderDelay: 10 } }));
        },
      ),
      { numRuns: 25, seed: 4242 },
    );
  });
});
