/**
 * Test helpers: craft IPv4/IPv6 packets carrying TCP, ICMP or fragments with the wire codecs (which
 * are tested against tshark in test/wire), decode what a stack sends, and drive a Stack by hand
 * (sans-IO: receive/poll at chosen times).
 */
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/link/rng.js';
import { Stack, type StackOptions } from '../../src/stack/stack.js';
import { parseAddress } from '../../src/stack/address.js';
import {
  emitIcmpv4,
  emitIcmpv6,
  emitIpv4,
  emitIpv6,
  emitIpv6FragmentHeader,
  emitTcp,
  icmpBufferLength,
  Icmpv4Packet,
  Icmpv6Packet,
  Ipv4Packet,
  Ipv6Packet,
  parseIcmpv4,
  parseIcmpv6,
  parseIpv4,
  parseIpv6,
  parseTcp,
  tcpBufferLength,
  TcpFlag,
  TcpPacket,
  walkIpv6Chain,
  type IcmpRepr,
  type IpAddress,
  type TcpOption,
  type TcpRepr,
} from '../../src/wire/index.js';

export const { FIN, SYN, RST, PSH, ACK, URG } = TcpFlag;

export function addr(text: string): IpAddress {
  const a = parseAddress(text);
  if (a === undefined) throw new Error(`bad address ${text}`);
  return a;
}

export interface TcpSpec {
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack?: number;
  readonly flags: number;
  readonly window?: number;
  readonly payload?: Uint8Array | string;
  readonly options?: readonly TcpOption[];
  readonly ttl?: number;
  readonly id?: number;
}

export function bytes(p: Uint8Array | string | undefined): Uint8Array {
  if (p === undefined) return new Uint8Array(0);
  return typeof p === 'string' ? new TextEncoder().encode(p) : p;
}

export function tcpRepr(s: TcpSpec): TcpRepr {
  return {
    srcPort: s.srcPort,
    dstPort: s.dstPort,
    seq: s.seq >>> 0,
    ack: (s.ack ?? 0) >>> 0,
    flags: s.flags,
    window: s.window ?? 65535,
    urgentPointer: 0,
    options: s.options ?? [],
    payload: bytes(s.payload),
  };
}

/** An IP packet (version by the address family) with a TCP segment and correct checksums. */
export function tcpPacket(s: TcpSpec): Uint8Array {
  const src = addr(s.src);
  const dst = addr(s.dst);
  const seg = tcpRepr(s);
  const len = tcpBufferLength(seg);
  if (typeof src === 'number') {
    const buf = new Uint8Array(20 + len);
    emitIpv4(ipv4Header(src, dst as number, 6, len, s.ttl ?? 64, s.id ?? 1), buf);
    emitTcp(seg, buf.subarray(20), { src, dst: dst as number });
    return buf;
  }
  const buf = new Uint8Array(40 + len);
  emitIpv6({ src, dst: dst as Uint8Array, nextHeader: 6, hopLimit: s.ttl ?? 64, trafficClass: 0, flowLabel: 0, payloadLength: len }, buf);
  emitTcp(seg, buf.subarray(40), { src, dst: dst as Uint8Array });
  return buf;
}

export function ipv4Header(src: number, dst: number, protocol: number, payloadLength: number, ttl = 64, id = 1, extra: { mf?: boolean; offset?: number; df?: boolean } = {}) {
  return {
    src,
    dst,
    protocol,
    ttl,
    dscp: 0,
    ecn: 0,
    identification: id,
    dontFragment: extra.df ?? false,
    moreFragments: extra.mf ?? false,
    fragmentOffset: extra.offset ?? 0,
    options: new Uint8Array(0),
    payloadLength,
  };
}

/** An ICMP (v4) or ICMPv6 echo request. */
export function echoRequest(src: string, dst: string, id: number, seq: number, data: Uint8Array, ipId = 7): Uint8Array {
  const s = addr(src);
  const d = addr(dst);
  if (typeof s === 'number') {
    const repr: IcmpRepr = { type: 8, code: 0, rest: ((id << 16) | seq) >>> 0, payload: data };
    const len = icmpBufferLength(repr);
    const buf = new Uint8Array(20 + len);
    emitIpv4(ipv4Header(s, d as number, 1, len, 64, ipId), buf);
    emitIcmpv4(repr, buf.subarray(20));
    return buf;
  }
  const repr: IcmpRepr = { type: 128, code: 0, rest: ((id << 16) | seq) >>> 0, payload: data };
  const len = icmpBufferLength(repr);
  const buf = new Uint8Array(40 + len);
  emitIpv6({ src: s, dst: d as Uint8Array, nextHeader: 58, hopLimit: 64, trafficClass: 0, flowLabel: 0, payloadLength: len }, buf);
  emitIcmpv6(repr, buf.subarray(40), { src: s, dst: d as Uint8Array });
  return buf;
}

/**
 * Split an IPv6 packet (no extension headers) into fragments of at most `chunk` data bytes (a
 * multiple of 8), each with a fragment header (RFC 8200 4.5).
 */
export function fragmentIpv6(packet: Uint8Array, chunk: number, identification: number): Uint8Array[] {
  const v = new Ipv6Packet(packet);
  const data = v.payload;
  const out: Uint8Array[] = [];
  for (let off = 0; off < data.length; off += chunk) {
    const part = data.subarray(off, Math.min(data.length, off + chunk));
    const more = off + part.length < data.length;
    const buf = new Uint8Array(48 + part.length);
    emitIpv6({ src: v.src.slice(), dst: v.dst.slice(), nextHeader: 44, hopLimit: v.hopLimit, trafficClass: 0, flowLabel: 0, payloadLength: 8 + part.length }, buf);
    emitIpv6FragmentHeader({ nextHeader: v.nextHeader, fragmentOffset: off, moreFragments: more, identification }, buf.subarray(40));
    buf.set(part, 48);
    out.push(buf);
  }
  return out;
}

export interface Decoded {
  readonly version: 4 | 6;
  readonly src: IpAddress;
  readonly dst: IpAddress;
  readonly protocol: number;
  readonly tcp?: TcpRepr;
  readonly icmp?: IcmpRepr;
}

/** Decode a packet a stack sent, verifying every checksum (fails the test if one is wrong). */
export function decode(packet: Uint8Array): Decoded {
  if ((packet[0] ?? 0) >>> 4 === 4) {
    const v = new Ipv4Packet(packet);
    const r = parseIpv4(v);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    const ip = r.value;
    const pair = { src: ip.src, dst: ip.dst };
    if (ip.protocol === 6) {
      const t = parseTcp(new TcpPacket(v.payload), pair);
      assert.ok(t.ok, t.ok ? '' : t.error.message);
      return { version: 4, src: ip.src, dst: ip.dst, protocol: 6, tcp: t.value };
    }
    if (ip.protocol === 1) {
      const c = parseIcmpv4(new Icmpv4Packet(v.payload));
      assert.ok(c.ok, c.ok ? '' : c.error.message);
      return { version: 4, src: ip.src, dst: ip.dst, protocol: 1, icmp: c.value };
    }
    return { version: 4, src: ip.src, dst: ip.dst, protocol: ip.protocol };
  }
  const v = new Ipv6Packet(packet);
  const r = parseIpv6(v);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  const chain = walkIpv6Chain(v);
  const upper = packet.subarray(chain.upperOffset, chain.upperOffset + chain.upperLength);
  const pair = { src: r.value.src, dst: r.value.dst };
  if (chain.upperProtocol === 6) {
    const t = parseTcp(new TcpPacket(upper), pair);
    assert.ok(t.ok, t.ok ? '' : t.error.message);
    return { version: 6, src: r.value.src, dst: r.value.dst, protocol: 6, tcp: t.value };
  }
  if (chain.upperProtocol === 58) {
    const c = parseIcmpv6(new Icmpv6Packet(upper), pair);
    assert.ok(c.ok, c.ok ? '' : c.error.message);
    return { version: 6, src: r.value.src, dst: r.value.dst, protocol: 58, icmp: c.value };
  }
  return { version: 6, src: r.value.src, dst: r.value.dst, protocol: chain.upperProtocol };
}

/** A stack at 10.0.0.2 and fd00::2 driven by hand; `out(now)` polls and decodes. */
export class Host {
  readonly stack: Stack;
  now = 0;
  constructor(options: Partial<StackOptions> = {}) {
    this.stack = new Stack({
      name: 'B',
      interfaces: [{ addresses: ['10.0.0.2', 'fd00::2'], mtu: 1500 }],
      random: new SeededRandom(options.name ?? 'host'),
      clock: () => this.now,
      ...options,
    });
  }
  /** Deliver packets at time `at` (default: now). */
  in(packet: Uint8Array | readonly Uint8Array[], at = this.now): void {
    this.now = Math.max(this.now, at);
    for (const p of packet instanceof Uint8Array ? [packet] : packet) this.stack.receive(this.now, p);
  }
  /** Poll at `at` and decode what the stack sends. */
  out(at = this.now): Decoded[] {
    this.now = Math.max(this.now, at);
    return this.stack.poll(this.now).map((o) => decode(o.packet));
  }
  raw(at = this.now): Uint8Array[] {
    this.now = Math.max(this.now, at);
    return this.stack.poll(this.now).map((o) => o.packet);
  }
}

/** The peer (A) side of a handshake with `host` on `port`: returns the numbers to continue with. */
export function handshake(h: Host, o: { src?: string; dst?: string; srcPort?: number; port?: number; iss?: number } = {}): { seq: number; ack: number; srcPort: number } {
  const src = o.src ?? '10.0.0.1';
  const dst = o.dst ?? '10.0.0.2';
  const srcPort = o.srcPort ?? 40000;
  const port = o.port ?? 80;
  const iss = o.iss ?? 1000;
  h.in(tcpPacket({ src, dst, srcPort, dstPort: port, seq: iss, flags: SYN, options: [{ kind: 2, name: 'mss', mss: 1460 }] }));
  const [synAck] = h.out();
  assert.ok(synAck?.tcp, 'SYN,ACK');
  assert.equal(synAck.tcp.flags, SYN | ACK);
  assert.equal(synAck.tcp.ack, iss + 1);
  const seq = iss + 1;
  const ack = (synAck.tcp.seq + 1) >>> 0;
  h.in(tcpPacket({ src, dst, srcPort, dstPort: port, seq, ack, flags: ACK }));
  return { seq, ack, srcPort };
}
