/**
 * Deterministic synthetic traffic for benchmarks: interleaved TCP conversations over Ethernet with
 * IPv4 (and a share of IPv6 and VLAN-tagged frames), as a packet capture would show them from a
 * router port. Each conversation is a plausible Linux-to-Linux exchange: handshake with the usual
 * SYN options (mss, sackOK, TS, nop, wscale), then web request/response rounds, an interactive
 * session or a bulk upload, delayed ACKs every second full segment, occasional loss repaired with
 * SACK and a retransmission, and a FIN close (sometimes an RST, sometimes a refused SYN).
 *
 * Invariants: the same options give byte-for-byte the same packets (a seeded PRNG, no clock); every
 * frame is built with src/wire's emitters, so IPv4 header and TCP checksums are correct; sequence
 * and acknowledgment numbers follow RFC 9293 (SYN and FIN each take one number, arithmetic mod
 * 2^32); timestamps only increase.
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureFileWriter } from '../src/capture/node.js';
import type { WritablePacket } from '../src/capture/pcap.js';
import {
  emitEthernet,
  emitIpv4,
  emitIpv6,
  emitTcp,
  EtherType,
  IpProtocol,
  TcpFlag,
  tcpHeaderLength,
  type TcpOption,
  type VlanTag,
} from '../src/wire/index.js';

/** mulberry32: a small, fast, well-mixed 32-bit PRNG; deterministic from its seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface TrafficOptions {
  /** Frames to produce (the last conversations are cut off where the capture ends). */
  readonly frames: number;
  readonly seed?: number;
  /** Share of conversations over IPv6 (default 0.2). */
  readonly ipv6Share?: number;
  /** Share of conversations on an 802.1Q VLAN (default 0.05). */
  readonly vlanShare?: number;
  /** Conversations in flight at once (default 12). */
  readonly concurrency?: number;
}

/** Bump when the generator changes, so cached captures of older versions are not reused. */
export const TRAFFIC_VERSION = 1;

/** Capture start: 2023-11-14 22:13:20 UTC. */
const START_SEC = 1_700_000_000;
const EMPTY = new Uint8Array(0);

type Rng = () => number;

interface Endpoint {
  readonly mac: Uint8Array;
  readonly v4: number;
  readonly v6: Uint8Array;
  readonly port: number;
  readonly ttl: number;
  readonly wscale: number;
  readonly isn: number;
  readonly tsBase: number;
  readonly mss: number;
  ipId: number;
  /** Next sequence number to send, mod 2^32. */
  nxt: number;
  /** Receive window in bytes (before scaling). */
  rcvWindow: number;
}

/** One segment a conversation wants on the wire; `from` is 0 (client) or 1 (server). */
interface Segment {
  readonly from: 0 | 1;
  readonly flags: number;
  readonly seq: number;
  readonly ack: number;
  readonly options: readonly TcpOption[];
  readonly payloadLength: number;
  /** Window field override (RST segments carry 0). */
  readonly window?: number;
}

/** Shared state of the generator: the capture clock, in nanoseconds since START_SEC. */
interface Clock {
  ns: number;
}

function u32(n: number): number {
  return n >>> 0;
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  const v = items[Math.floor(rng() * items.length)];
  if (v === undefined) throw new Error('pick from an empty list');
  return v;
}

function randInt(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

/** A heavy-tailed size (log-uniform between lo and hi). */
function logUniform(rng: Rng, lo: number, hi: number): number {
  return Math.floor(Math.exp(Math.log(lo) + rng() * (Math.log(hi) - Math.log(lo))));
}

const SERVER_MACS = [new Uint8Array([0x00, 0x1b, 0x21, 0x3a, 0x4f, 0x01]), new Uint8Array([0x00, 0x16, 0x3e, 0x5c, 0x10, 0x02])];
const CLIENT_MAC_BASE = [0x52, 0x54, 0x00, 0x12];

type Kind = 'web' | 'interactive' | 'upload' | 'refused';

interface ConversationSpec {
  readonly kind: Kind;
  readonly v6: boolean;
  readonly vlan: VlanTag | undefined;
  readonly client: Endpoint;
  readonly server: Endpoint;
  readonly flowLabel: number;
}

function newSpec(rng: Rng, index: number, opts: Required<TrafficOptions>): ConversationSpec {
  const v6 = rng() < opts.ipv6Share;
  const vlan = rng() < opts.vlanShare ? { tpid: EtherType.VLAN, pcp: 0, dei: false, vid: pick(rng, [10, 20, 100]) } : undefined;
  const r = rng();
  const kind: Kind = r < 0.7 ? 'web' : r < 0.85 ? 'interactive' : r < 0.97 ? 'upload' : 'refused';
  const host = randInt(rng, 2, 250);
  const subnet = randInt(rng, 0, 3);
  const clientV6 = new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, subnet, 0, 0, 0, 0, 0, 0, 0, host]);
  const serverV6 = new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0x0b, 0xad, 0, 0, 0, 0, 0, 0, 0, 0, 0, randInt(rng, 1, 40)]);
  // Documentation ranges (RFC 5737, RFC 3849) so the capture names no real host.
  const serverV4 = u32((rng() < 0.5 ? 0xc6336400 : 0xcb007100) | randInt(rng, 1, 254));
  const port = kind === 'interactive' ? 22 : kind === 'upload' ? pick(rng, [445, 873, 5201]) : pick(rng, [80, 443, 443, 443, 8080]);
  const mss = v6 ? 1440 : 1460;
  const client: Endpoint = {
    mac: new Uint8Array([...CLIENT_MAC_BASE, subnet, host]),
    v4: u32(0xc0a80000 | (subnet << 8) | host),
    v6: clientV6,
    // Linux's ephemeral range (net.ipv4.ip_local_port_range 32768-60999), walking per connection.
    port: 32768 + ((index * 7919) % 28232),
    ttl: 64,
    wscale: 7,
    isn: u32(rng() * 4294967296),
    tsBase: u32(rng() * 4294967296),
    mss,
    ipId: randInt(rng, 0, 65535),
    nxt: 0,
    rcvWindow: 64240,
  };
  const server: Endpoint = {
    mac: pick(rng, SERVER_MACS),
    v4: serverV4,
    v6: serverV6,
    port,
    ttl: pick(rng, [52, 54, 57, 63]),
    wscale: pick(rng, [7, 8, 9, 10]),
    isn: u32(rng() * 4294967296),
    tsBase: u32(rng() * 4294967296),
    mss,
    ipId: 0,
    nxt: 0,
    rcvWindow: 65160,
  };
  client.nxt = client.isn;
  server.nxt = server.isn;
  return { kind, v6, vlan, client, server, flowLabel: randInt(rng, 1, 0xfffff) };
}

/** The segments of one conversation, in wire order. */
function* conversation(rng: Rng, spec: ConversationSpec, clock: Clock): Generator<Segment, void, undefined> {
  const { client: c, server: s } = spec;
  const ends = [c, s] as const;
  const ts = (e: Endpoint): number => u32(e.tsBase + Math.floor(clock.ns / 1e6));
  // What each side last saw of the other's TSval (RFC 7323 3.2: TSecr echoes TS.Recent).
  const recent = [0, 0];
  const tsOpt = (from: 0 | 1): TcpOption => ({ kind: 8, name: 'timestamps', tsval: ts(ends[from]), tsecr: recent[from] ?? 0 });
  const seg = (from: 0 | 1, flags: number, payloadLength: number, extra: readonly TcpOption[] = []): Segment => {
    const me = ends[from];
    const peer = ends[from === 0 ? 1 : 0];
    const options: TcpOption[] = [{ kind: 1, name: 'nop' }, { kind: 1, name: 'nop' }, tsOpt(from), ...extra];
    recent[from === 0 ? 1 : 0] = ts(me);
    const out: Segment = { from, flags, seq: me.nxt, ack: peer.nxt, options, payloadLength };
    me.nxt = u32(me.nxt + payloadLength + ((flags & (TcpFlag.SYN | TcpFlag.FIN)) !== 0 ? 1 : 0));
    return out;
  };
  const synOptions = (from: 0 | 1): TcpOption[] => {
    const e = ends[from];
    return [
      { kind: 2, name: 'mss', mss: e.mss },
      { kind: 4, name: 'sackPermitted' },
      tsOpt(from),
      { kind: 1, name: 'nop' },
      { kind: 3, name: 'wscale', shift: e.wscale },
    ];
  };

  // Handshake (RFC 9293 3.5). SYN: the client's ISN.
  const syn: Segment = { from: 0, flags: TcpFlag.SYN, seq: c.isn, ack: 0, options: synOptions(0), payloadLength: 0, window: spec.v6 ? 64800 : 64240 };
  recent[1] = ts(c);
  c.nxt = u32(c.isn + 1);
  yield syn;
  if (rng() < 0.01) yield syn; // the SYN retransmitted after the initial RTO
  if (spec.kind === 'refused') {
    // RFC 9293 3.10.7.1: a SYN to a closed port is answered <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
    yield { from: 1, flags: TcpFlag.RST | TcpFlag.ACK, seq: 0, ack: c.nxt, options: [], payloadLength: 0, window: 0 };
    return;
  }
  const synAck: Segment = { from: 1, flags: TcpFlag.SYN | TcpFlag.ACK, seq: s.isn, ack: c.nxt, options: synOptions(1), payloadLength: 0, window: 65160 };
  recent[0] = ts(s);
  s.nxt = u32(s.isn + 1);
  yield synAck;
  yield seg(0, TcpFlag.ACK, 0);

  /** `bytes` from `from` to the other side in MSS-sized segments, ACKed every second one. */
  function* transfer(from: 0 | 1, bytes: number): Generator<Segment, void, undefined> {
    const to: 0 | 1 = from === 0 ? 1 : 0;
    const payloadMax = ends[from].mss - 12; // minus the 12 bytes of nop,nop,TS
    let unacked = 0;
    while (bytes > 0) {
      const n = Math.min(payloadMax, bytes);
      bytes -= n;
      const last = bytes === 0;
      const flags = TcpFlag.ACK | (last ? TcpFlag.PSH : 0);
      const sent = seg(from, flags, n);
      if (rng() < 0.004 && !last) {
        // Lost before the capture point's far side: the receiver sees the next segment out of
        // order and sends duplicate ACKs with a SACK block (RFC 2018 4); the sender retransmits.
        const next = Math.min(payloadMax, bytes);
        bytes -= next;
        const after = seg(from, TcpFlag.ACK | (bytes === 0 ? TcpFlag.PSH : 0), next);
        yield sent;
        yield after;
        const holeEnd = u32(sent.seq + n);
        const receiver = ends[to];
        const dupAck: Segment = {
          from: to,
          flags: TcpFlag.ACK,
          seq: receiver.nxt,
          ack: sent.seq,
          options: [{ kind: 1, name: 'nop' }, { kind: 1, name: 'nop' }, tsOpt(to), { kind: 1, name: 'nop' }, { kind: 1, name: 'nop' }, { kind: 5, name: 'sack', blocks: [{ left: holeEnd, right: u32(holeEnd + next) }] }],
          payloadLength: 0,
        };
        yield dupAck;
        yield { ...sent, options: [{ kind: 1, name: 'nop' }, { kind: 1, name: 'nop' }, tsOpt(from)] };
        yield seg(to, TcpFlag.ACK, 0);
        unacked = 0;
        continue;
      }
      yield sent;
      unacked++;
      // RFC 9293 3.8.6.3 / RFC 1122 4.2.3.2: an ACK at least every second full-sized segment.
      if (unacked >= 2 || last) {
        ends[to].rcvWindow = Math.min(ends[to].rcvWindow + 2 * n, 6_291_456);
        yield seg(to, TcpFlag.ACK, 0);
        unacked = 0;
      }
    }
  }

  switch (spec.kind) {
    case 'web': {
      const rounds = randInt(rng, 1, 5);
      for (let i = 0; i < rounds; i++) {
        yield* transfer(0, randInt(rng, 80, 900));
        yield* transfer(1, logUniform(rng, 300, 400_000));
      }
      break;
    }
    case 'interactive': {
      const rounds = randInt(rng, 5, 60);
      for (let i = 0; i < rounds; i++) {
        yield seg(0, TcpFlag.PSH | TcpFlag.ACK, pick(rng, [36, 36, 36, 52, 68]));
        yield seg(1, TcpFlag.PSH | TcpFlag.ACK, randInt(rng, 36, 400));
        yield seg(0, TcpFlag.ACK, 0);
      }
      break;
    }
    case 'upload':
      yield* transfer(1, randInt(rng, 40, 300));
      yield* transfer(0, logUniform(rng, 100_000, 3_000_000));
      break;
  }

  // Close (RFC 9293 3.6): mostly FIN from either side, sometimes an abortive RST.
  const r = rng();
  if (r < 0.08) {
    yield { ...seg(0, TcpFlag.RST | TcpFlag.ACK, 0), options: [], window: 0 };
    return;
  }
  const first: 0 | 1 = r < 0.6 ? 0 : 1;
  const second: 0 | 1 = first === 0 ? 1 : 0;
  yield seg(first, TcpFlag.FIN | TcpFlag.ACK, 0);
  yield seg(second, TcpFlag.FIN | TcpFlag.ACK, 0);
  yield seg(first, TcpFlag.ACK, 0);
}

/** Bytes of one segment: Ethernet (maybe VLAN), IPv4 or IPv6, TCP with checksum, zero padding to 60. */
function frameBytes(spec: ConversationSpec, sg: Segment, payloadPool: Uint8Array, rng: Rng): Uint8Array {
  const me = sg.from === 0 ? spec.client : spec.server;
  const peer = sg.from === 0 ? spec.server : spec.client;
  const payloadStart = Math.floor(rng() * (payloadPool.length - sg.payloadLength));
  const payload = sg.payloadLength === 0 ? EMPTY : payloadPool.subarray(payloadStart, payloadStart + sg.payloadLength);
  // RFC 7323 2.3: the window field is the receive window shifted right by the sender's own scale.
  const window = sg.window ?? Math.min(0xffff, me.rcvWindow >>> me.wscale);
  const tcpRepr = { srcPort: me.port, dstPort: peer.port, seq: sg.seq, ack: sg.ack, flags: sg.flags, window, urgentPointer: 0, options: sg.options, payload };
  const tcpLen = tcpHeaderLength(tcpRepr) + payload.length;
  const l2 = spec.vlan === undefined ? 14 : 18;
  const l3 = spec.v6 ? 40 : 20;
  const buf = new Uint8Array(Math.max(60, l2 + l3 + tcpLen));
  const gateway = SERVER_MACS[0] ?? me.mac;
  emitEthernet(
    { dst: sg.from === 0 ? gateway : spec.client.mac, src: sg.from === 0 ? spec.client.mac : gateway, vlans: spec.vlan === undefined ? [] : [spec.vlan], etherType: spec.v6 ? EtherType.IPV6 : EtherType.IPV4 },
    buf,
  );
  const ip = buf.subarray(l2);
  if (spec.v6) {
    emitIpv6({ src: me.v6, dst: peer.v6, nextHeader: IpProtocol.TCP, hopLimit: me.ttl, trafficClass: 0, flowLabel: spec.flowLabel, payloadLength: tcpLen }, ip);
    emitTcp(tcpRepr, ip.subarray(40), { src: me.v6, dst: peer.v6 });
  } else {
    // Linux sets DF on TCP and counts the IP ID per socket.
    me.ipId = (me.ipId + 1) & 0xffff;
    emitIpv4(
      { src: me.v4, dst: peer.v4, protocol: IpProtocol.TCP, ttl: me.ttl, dscp: 0, ecn: 0, identification: me.ipId, dontFragment: true, moreFragments: false, fragmentOffset: 0, options: EMPTY, payloadLength: tcpLen },
      ip,
    );
    emitTcp(tcpRepr, ip.subarray(20), { src: me.v4, dst: peer.v4 });
  }
  return buf;
}

/** The capture's packets, in order. */
export function* syntheticTraffic(options: TrafficOptions): Generator<WritablePacket, void, undefined> {
  const opts: Required<TrafficOptions> = { seed: 0x5eed, ipv6Share: 0.2, vlanShare: 0.05, concurrency: 12, ...options };
  const rng = mulberry32(opts.seed);
  const pool = new Uint8Array(1 << 16);
  for (let i = 0; i < pool.length; i++) pool[i] = Math.floor(rng() * 256);
  const clock: Clock = { ns: 0 };
  let started = 0;
  const start = (): { spec: ConversationSpec; segs: Generator<Segment, void, undefined> } => {
    const spec = newSpec(rng, started++, opts);
    return { spec, segs: conversation(rng, spec, clock) };
  };
  const live = Array.from({ length: opts.concurrency }, start);
  for (let n = 0; n < opts.frames; ) {
    const i = Math.floor(rng() * live.length);
    const conv = live[i];
    if (conv === undefined) break;
    const next = conv.segs.next();
    if (next.done === true) {
      live[i] = start();
      continue;
    }
    // Exponential gaps, mean 25 µs (a busy gigabit link), at least 1 µs.
    clock.ns += 1000 + Math.floor(-Math.log(1 - rng()) * 24_000);
    const data = frameBytes(conv.spec, next.value, pool, rng);
    const sec = Math.floor(clock.ns / 1e9);
    yield { tsSec: START_SEC + sec, tsNsec: clock.ns - sec * 1e9, data };
    n++;
  }
}

/**
 * The path of the benchmark capture of `frames` frames in the OS temp dir, generated on first use
 * (into a .partial file renamed at the end, so an interrupted run never leaves a short file).
 */
export async function ensureTrafficCapture(frames: number, progress: (message: string) => void): Promise<{ path: string; generated: boolean }> {
  const path = join(tmpdir(), `sk-bench-traffic-v${TRAFFIC_VERSION}-${frames}.pcap`);
  if (existsSync(path)) return { path, generated: false };
  const partial = `${path}.${process.pid}.partial`;
  const w = new CaptureFileWriter(partial, { format: 'pcap', linkType: 1 });
  let n = 0;
  try {
    for (const p of syntheticTraffic({ frames })) {
      if (!w.write(p)) await w.drain();
      if (++n % 100_000 === 0) progress(`generating ${path}: ${n} of ${frames} frames`);
    }
    await w.close();
    renameSync(partial, path);
  } catch (e) {
    rmSync(partial, { force: true });
    throw e;
  }
  return { path, generated: true };
}
