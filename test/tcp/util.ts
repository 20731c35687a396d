/**
 * A small DSL for engine tests in the style of smoltcp's send!/recv!: a TEMPLATE segment from the
 * peer, `send(conn, {...})` to feed one, `expectSent(conn, {...})` to check the next segment the
 * engine emits (only the fields given are compared), `expectNothing(conn, at(t))` to check that
 * nothing is due at time t (firing timers that are due).
 *
 * The engine under test is "A" on port LOCAL_PORT; the scripted peer is "B" on REMOTE_PORT.
 */
import assert from 'node:assert/strict';
import { TcpFlag, type TcpOption, type TcpRepr } from '../../src/wire/tcp.js';
import { TcpConnection, type SegmentMeta } from '../../src/tcp/connection.js';
import type { TcpConfig } from '../../src/tcp/config.js';
import type { TcpEvent } from '../../src/tcp/events.js';
import type { TcpState } from '../../src/tcp/state.js';

export const { FIN, SYN, RST, PSH, ACK, URG } = TcpFlag;
export const LOCAL_PORT = 49152;
export const REMOTE_PORT = 80;

/** Plain RFC 793-style segments: no timestamps, window scaling or SACK unless a test asks. */
export const BASE_CONFIG: Partial<TcpConfig> = { timestamps: false, windowScaling: false, sack: false };

export const TEMPLATE: TcpRepr = {
  srcPort: REMOTE_PORT,
  dstPort: LOCAL_PORT,
  seq: 0,
  ack: 0,
  flags: 0,
  window: 65535,
  urgentPointer: 0,
  options: [],
  payload: new Uint8Array(0),
};

export type SegSpec = Partial<Omit<TcpRepr, 'payload'>> & { payload?: Uint8Array | string };

/** Readability: `at(1050)` is the time 1050 ms. */
export function at(ms: number): number {
  return ms;
}

export function bytes(s: string | Uint8Array): Uint8Array {
  return typeof s === 'string' ? new TextEncoder().encode(s) : s;
}

export function text(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}

export function mssOption(mss: number): TcpOption {
  return { kind: 2, name: 'mss', mss };
}

export const SACK_PERMITTED: TcpOption = { kind: 4, name: 'sackPermitted' };

/** A SACK option with blocks [left, right) (RFC 2018). */
export function sackOption(...blocks: ReadonlyArray<readonly [number, number]>): TcpOption {
  return { kind: 5, name: 'sack', blocks: blocks.map(([left, right]) => ({ left: left >>> 0, right: right >>> 0 })) };
}

/** Feed one segment from the peer at time `now` (default 0). */
export function send(conn: TcpConnection, spec: SegSpec, now = 0, meta?: SegmentMeta): void {
  const { payload, ...rest } = spec;
  const seg: TcpRepr = { ...TEMPLATE, ...rest, payload: payload === undefined ? TEMPLATE.payload : bytes(payload) };
  conn.handleSegment(now, seg, meta);
}

export function flagNames(f: number): string {
  const names: string[] = [];
  for (const [k, v] of Object.entries(TcpFlag)) if (f & v) names.push(k);
  return names.join('|') || '0';
}

export function describeSeg(s: TcpRepr): string {
  return `[${flagNames(s.flags)} seq=${s.seq} ack=${s.ack} win=${s.window} len=${s.payload.length}${s.urgentPointer ? ` up=${s.urgentPointer}` : ''}]`;
}

/** Fire due timers at `now`, then take the next segment (or undefined). */
export function poll(conn: TcpConnection, now = 0): TcpRepr | undefined {
  const due = conn.pollAt();
  if (due !== undefined && due <= now) conn.handleTimeout(now);
  return conn.pollTransmit(now);
}

/** The next segment must match every field of `spec`; returns it. */
export function expectSent(conn: TcpConnection, spec: SegSpec, now = 0): TcpRepr {
  const seg = poll(conn, now);
  assert.ok(seg, `expected a segment ${JSON.stringify(specForMessage(spec))} at t=${now}, got nothing (state ${conn.state})`);
  const { payload, ...rest } = spec;
  for (const [k, v] of Object.entries(rest)) {
    const actual: unknown = (seg as unknown as Record<string, unknown>)[k];
    if (k === 'flags') {
      assert.equal(flagNames(actual as number), flagNames(v as number), `flags of ${describeSeg(seg)}`);
    } else {
      assert.deepEqual(actual, v, `${k} of ${describeSeg(seg)}`);
    }
  }
  if (payload !== undefined) assert.deepEqual(seg.payload, bytes(payload), `payload of ${describeSeg(seg)}`);
  return seg;
}

function specForMessage(spec: SegSpec): Record<string, unknown> {
  const out: Record<string, unknown> = { ...spec };
  if (typeof spec.flags === 'number') out['flags'] = flagNames(spec.flags);
  if (spec.payload instanceof Uint8Array) out['payload'] = `<${spec.payload.length} bytes>`;
  return out;
}

/** Nothing is due at `now` (timers that are due are fired first). */
export function expectNothing(conn: TcpConnection, now = 0): void {
  const seg = poll(conn, now);
  assert.equal(seg, undefined, `expected nothing at t=${now}, got ${seg ? describeSeg(seg) : ''}`);
}

/** Drain and return all queued events. */
export function events(conn: TcpConnection): TcpEvent[] {
  const out: TcpEvent[] = [];
  for (let e = conn.pollEvent(); e; e = conn.pollEvent()) out.push(e);
  return out;
}

export function eventTypes(conn: TcpConnection): string[] {
  return events(conn).map((e) => e.type);
}

export function expectState(conn: TcpConnection, state: TcpState): void {
  assert.equal(conn.state, state);
}

export interface SetupOptions {
  readonly config?: Partial<TcpConfig>;
  /** Our ISS (default 66, as in the lecture). */
  readonly iss?: number;
  /** The peer's ISS (default 1112). */
  readonly peerIss?: number;
  /** The peer's window and MSS in its SYN,ACK. */
  readonly peerWindow?: number;
  readonly peerMss?: number;
  /** Options of the peer's SYN,ACK besides the MSS (e.g. SACK-permitted). */
  readonly peerOptions?: readonly TcpOption[];
}

/** Active open to ESTABLISHED: SYN out, SYN,ACK in, ACK out; events drained. */
export function established(o: SetupOptions = {}): TcpConnection {
  const iss = o.iss ?? 66;
  const peer = o.peerIss ?? 1112;
  const conn = TcpConnection.connect({ now: 0, localPort: LOCAL_PORT, remotePort: REMOTE_PORT, iss, config: { ...BASE_CONFIG, ...o.config } });
  expectSent(conn, { flags: SYN, seq: iss });
  send(conn, {
    flags: SYN | ACK,
    seq: peer,
    ack: (iss + 1) >>> 0,
    window: o.peerWindow ?? 65535,
    options: [mssOption(o.peerMss ?? 1460), ...(o.peerOptions ?? [])],
  });
  expectSent(conn, { flags: ACK, seq: (iss + 1) >>> 0, ack: (peer + 1) >>> 0 });
  expectNothing(conn);
  events(conn);
  return conn;
}

/** Passive open to SYN-RECEIVED via accept(): the SYN-ACK has been taken. */
export function synReceived(o: SetupOptions = {}): TcpConnection {
  const iss = o.iss ?? 1112;
  const peer = o.peerIss ?? 66;
  const conn = TcpConnection.accept({
    now: 0,
    syn: { ...TEMPLATE, flags: SYN, seq: peer, window: o.peerWindow ?? 65535, options: [mssOption(o.peerMss ?? 1460)] },
    iss,
    config: { ...BASE_CONFIG, ...o.config },
  });
  expectSent(conn, { flags: SYN | ACK, seq: iss, ack: (peer + 1) >>> 0 });
  return conn;
}
