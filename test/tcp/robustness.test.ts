/**
 * Bad input never crashes, hangs or grows without bound (common brief; RFC 9293 robustness).
 * Property tests throw arbitrary segments, application calls and timer firings at connections in
 * every state, and check that nothing throws except documented API misuse (SynackError with a
 * code), that the sequence variables keep their order, that buffers and event queues stay within
 * their bounds, and that draining pollTransmit always terminates.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SynackError } from '../../src/errors.js';
import { TcpConnection } from '../../src/tcp/connection.js';
import { seqLe } from '../../src/wire/seq.js';
import type { TcpOption, TcpRepr } from '../../src/wire/tcp.js';
import { established, LOCAL_PORT, REMOTE_PORT, synReceived } from './util.js';

const optionArb: fc.Arbitrary<TcpOption> = fc.oneof(
  fc.constant<TcpOption>({ kind: 1, name: 'nop' }),
  fc.integer({ min: 0, max: 0xffff }).map((mss): TcpOption => ({ kind: 2, name: 'mss', mss })),
  fc.integer({ min: 0, max: 255 }).map((shift): TcpOption => ({ kind: 3, name: 'wscale', shift })),
  fc.constant<TcpOption>({ kind: 4, name: 'sackPermitted' }),
  fc.tuple(fc.nat(), fc.nat()).map(([tsval, tsecr]): TcpOption => ({ kind: 8, name: 'timestamps', tsval: tsval >>> 0, tsecr: tsecr >>> 0 })),
  fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 4 }).map(
    (b): TcpOption => ({ kind: 5, name: 'sack', blocks: b.map(([l, r]) => ({ left: l >>> 0, right: r >>> 0 })) }),
  ),
  fc.uint8Array({ maxLength: 6 }).map((data): TcpOption => ({ kind: 99, name: 'unknown', data })),
);

/** A segment near the connection's sequence space (offsets from bases), or anywhere. */
const segmentArb = fc.record({
  seqOff: fc.oneof(fc.integer({ min: -70000, max: 70000 }), fc.nat().map((n) => n * 4099)),
  ackOff: fc.oneof(fc.integer({ min: -70000, max: 70000 }), fc.nat().map((n) => n * 4099)),
  // Mostly plausible flag sets (so segments get deep into the checks), sometimes any 9 bits.
  flags: fc.oneof(fc.constantFrom(0x010, 0x018, 0x011, 0x019, 0x030, 0x002, 0x012, 0x004, 0x014), fc.integer({ min: 0, max: 0x1ff })),
  window: fc.integer({ min: 0, max: 0xffff }),
  urgentPointer: fc.integer({ min: 0, max: 0xffff }),
  options: fc.array(optionArb, { maxLength: 4 }),
  len: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3000 })),
  optionError: fc.boolean(),
  wrongPort: fc.boolean(),
});

type SegmentSpec = typeof segmentArb extends fc.Arbitrary<infer T> ? T : never;

type Action =
  | { kind: 'segment'; seg: SegmentSpec }
  | { kind: 'advance'; ms: number }
  | { kind: 'send'; n: number; urgent: boolean }
  | { kind: 'read'; n: number }
  | { kind: 'shutdown' }
  | { kind: 'close' }
  | { kind: 'abort' }
  | { kind: 'nodelay'; on: boolean }
  | { kind: 'keepalive'; on: boolean };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 8, arbitrary: segmentArb.map((seg) => ({ kind: 'segment' as const, seg })) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 200_000 }).map((ms) => ({ kind: 'advance' as const, ms })) },
  { weight: 3, arbitrary: fc.record({ n: fc.integer({ min: 0, max: 5000 }), urgent: fc.boolean() }).map((r) => ({ kind: 'send' as const, ...r })) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 5000 }).map((n) => ({ kind: 'read' as const, n })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'shutdown' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'close' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'abort' as const }) },
  { weight: 1, arbitrary: fc.boolean().map((on) => ({ kind: 'nodelay' as const, on })) },
  { weight: 1, arbitrary: fc.boolean().map((on) => ({ kind: 'keepalive' as const, on })) },
);

const SMALL = { sendBufferSize: 8192, recvBufferSize: 6000, maxOutOfOrderRanges: 4 };

function start(kind: number): TcpConnection {
  switch (kind) {
    case 0:
      return TcpConnection.connect({ now: 0, localPort: LOCAL_PORT, remotePort: REMOTE_PORT, iss: 66, config: SMALL });
    case 1:
      return TcpConnection.listen({ localPort: LOCAL_PORT, iss: 1112, config: SMALL });
    case 2:
      return synReceived({ config: SMALL });
    case 3:
      return established({ config: SMALL });
    default:
      return established({ config: { ...SMALL, timestamps: true, windowScaling: true, sack: true } });
  }
}

/** Drain output; at most `limit` segments per drain or the engine is stuck in a loop. */
function drain(c: TcpConnection, now: number, limit = 10_000): TcpRepr[] {
  const out: TcpRepr[] = [];
  for (let s = c.pollTransmit(now); s; s = c.pollTransmit(now)) {
    out.push(s);
    assert.ok(out.length < limit, 'pollTransmit does not terminate');
  }
  return out;
}

function checkInvariants(c: TcpConnection): void {
  const i = c.info();
  assert.ok(seqLe(i.sndUna, i.sndNxt) && seqLe(i.sndNxt, i.sndMax), `SND.UNA ${i.sndUna} <= SND.NXT ${i.sndNxt} <= SND.MAX ${i.sndMax}`);
  assert.ok(i.readable <= SMALL.recvBufferSize, 'receive buffer within bound');
  assert.ok(i.sendQueued <= SMALL.sendBufferSize, 'send buffer within bound');
  assert.ok(i.rcvWnd <= SMALL.recvBufferSize + 1, `window ${i.rcvWnd} within the buffer`);
  const at = c.pollAt();
  assert.ok(at === undefined || Number.isFinite(at), 'pollAt is finite or undefined');
}

function apply(c: TcpConnection, a: Action, now: number): number {
  switch (a.kind) {
    case 'segment': {
      const i = c.info();
      const s = a.seg;
      const seg: TcpRepr = {
        srcPort: s.wrongPort ? REMOTE_PORT + 1 : REMOTE_PORT,
        dstPort: LOCAL_PORT,
        seq: (i.rcvNxt + s.seqOff) >>> 0,
        ack: (i.sndUna + s.ackOff) >>> 0,
        flags: s.flags,
        window: s.window,
        urgentPointer: s.urgentPointer,
        options: s.options,
        payload: new Uint8Array(s.len).fill(0x5a),
      };
      c.handleSegment(now, seg, s.optionError ? { optionError: true } : undefined);
      return now;
    }
    case 'advance': {
      const t = now + a.ms;
      const due = c.pollAt();
      if (due !== undefined && due <= t) c.handleTimeout(t);
      return t;
    }
    case 'send':
      try {
        c.send(new Uint8Array(a.n), { urgent: a.urgent });
      } catch (e) {
        assert.ok(e instanceof SynackError && /^ERR_SYNACK_/.test(e.code), `unexpected throw ${String(e)}`);
      }
      return now;
    case 'read':
      try {
        c.read(a.n);
      } catch (e) {
        assert.ok(e instanceof SynackError && e.code === 'ERR_SYNACK_CONN_CLOSED', `unexpected throw ${String(e)}`);
      }
      return now;
    case 'shutdown':
      c.shutdown();
      return now;
    case 'close':
      c.close(now);
      return now;
    case 'abort':
      c.abort();
      return now;
    case 'nodelay':
      c.setNoDelay(a.on);
      return now;
    case 'keepalive':
      c.setKeepAlive(a.on, 1000, now);
      return now;
  }
}

describe('robustness against arbitrary input', () => {
  test('no state, segment, timer or application call makes the engine throw, loop or break its invariants', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4 }), fc.array(actionArb, { minLength: 1, maxLength: 60 }), (kind, actions) => {
        const c = start(kind);
        let now = 0;
        let events = 0;
        for (const a of actions) {
          now = apply(c, a, now);
          drain(c, now);
          for (let e = c.pollEvent(); e; e = c.pollEvent()) events++;
          checkInvariants(c);
        }
        // Time runs out: every timer eventually fires and the engine settles.
        for (let k = 0; k < 500 && c.pollAt() !== undefined; k++) {
          now = Math.max(now, c.pollAt() ?? now);
          c.handleTimeout(now);
          drain(c, now);
          for (let e = c.pollEvent(); e; e = c.pollEvent()) events++;
          checkInvariants(c);
        }
        assert.ok(events < 100 * actions.length + 100);
      }),
      { numRuns: 400, seed: 9293 },
    );
  });

  test('events queue stays bounded when the application never polls them', () => {
    const c = TcpConnection.listen({ localPort: LOCAL_PORT, iss: 1, config: SMALL });
    for (let i = 0; i < 1000; i++) {
      c.handleSegment(i, { srcPort: REMOTE_PORT, dstPort: LOCAL_PORT, seq: i * 7, ack: 0, flags: 0x002, window: 100, urgentPointer: 0, options: [], payload: new Uint8Array(0) });
      c.pollTransmit(i);
      c.handleSegment(i, { srcPort: REMOTE_PORT, dstPort: LOCAL_PORT, seq: i * 7 + 1, ack: 0, flags: 0x004, window: 0, urgentPointer: 0, options: [], payload: new Uint8Array(0) });
    }
    let n = 0;
    while (c.pollEvent()) n++;
    assert.ok(n <= 64, `${n} events queued`);
  });
});
