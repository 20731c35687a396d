/**
 * Crafted TCP captures for the analyzer tests: a connection written as a list of segments (who
 * sends, flags, seq/ack, window, payload length, options, time), encoded with synack's wire
 * emitters and written with the capture layer's PcapWriter. The truth for these captures is never
 * our own code: tests ask tshark (see conns-tshark.ts) or derive it from the RFC / Zeek's rules.
 *
 * Invariant: every frame is a complete Ethernet/IPv4 or IPv6/TCP frame with correct IP and TCP
 * checksums, unless the segment asks for a bad TCP checksum.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter } from '../../src/capture/pcap.js';
import { emitEthernet, EtherType, macAddress } from '../../src/wire/ethernet.js';
import { emitIpv4, IPV4_DEFAULTS, ipv4Address, IpProtocol } from '../../src/wire/ipv4.js';
import { emitIpv6, IPV6_DEFAULTS, ipv6Address } from '../../src/wire/ipv6.js';
import { buildTcpOptions, emitTcp, TcpFlag, tcpHeaderLength, type TcpOptionsSpec, type TcpRepr } from '../../src/wire/tcp.js';
import type { IpAddressPair } from '../../src/wire/ip.js';

export const F = TcpFlag;
export const SYN = TcpFlag.SYN;
export const ACK = TcpFlag.ACK;
export const FIN = TcpFlag.FIN;
export const RST = TcpFlag.RST;
export const PSH = TcpFlag.PSH;

export interface Endpoint {
  readonly ip: string;
  readonly port: number;
}

export interface CraftSegment {
  /** Seconds since the start of the capture. */
  readonly t: number;
  /** 'c' = client (the `a` endpoint), 's' = server. */
  readonly from: 'c' | 's';
  readonly flags: number;
  readonly seq: number;
  readonly ack?: number;
  /** Raw 16-bit window field (default 65535... no: 64240, Linux's first SYN window). */
  readonly win?: number;
  /** Payload length in bytes (payload bytes are a repeating pattern). */
  readonly len?: number;
  readonly options?: TcpOptionsSpec;
  readonly badChecksum?: boolean;
  readonly ttl?: number;
  /** Override the endpoints of this one segment (other connections in the same capture). */
  readonly endpoints?: { readonly c: Endpoint; readonly s: Endpoint };
}

export interface CraftOptions {
  readonly client?: Endpoint;
  readonly server?: Endpoint;
  /** Epoch seconds of t = 0 (default 1700000000). */
  readonly start?: number;
}

export const CLIENT4: Endpoint = { ip: '192.0.2.1', port: 40001 };
export const SERVER4: Endpoint = { ip: '192.0.2.2', port: 5201 };
export const CLIENT6: Endpoint = { ip: '2001:db8::1', port: 40001 };
export const SERVER6: Endpoint = { ip: '2001:db8::2', port: 5201 };

const MAC_C = macAddress('02:00:00:00:00:0c');
const MAC_S = macAddress('02:00:00:00:00:05');

function isV6(ip: string): boolean {
  return ip.includes(':');
}

/** One Ethernet frame for a segment. */
export function craftFrame(seg: CraftSegment, client: Endpoint, server: Endpoint): Uint8Array {
  const c = seg.endpoints?.c ?? client;
  const s = seg.endpoints?.s ?? server;
  const [src, dst] = seg.from === 'c' ? [c, s] : [s, c];
  const len = seg.len ?? 0;
  const payload = new Uint8Array(len);
  for (let i = 0; i < len; i++) payload[i] = (i * 7 + 13) & 0xff;
  const repr: TcpRepr = {
    srcPort: src.port,
    dstPort: dst.port,
    seq: seg.seq >>> 0,
    ack: (seg.ack ?? 0) >>> 0,
    flags: seg.flags,
    window: seg.win ?? 64240,
    urgentPointer: 0,
    options: seg.options === undefined ? [] : buildTcpOptions(seg.options),
    payload,
  };
  const tcpLen = tcpHeaderLength(repr) + len;
  const v6 = isV6(src.ip);
  const ipLen = v6 ? 40 : 20;
  const frame = new Uint8Array(14 + ipLen + tcpLen);
  emitEthernet(
    { dst: seg.from === 'c' ? MAC_S : MAC_C, src: seg.from === 'c' ? MAC_C : MAC_S, vlans: [], etherType: v6 ? EtherType.IPV6 : EtherType.IPV4 },
    frame,
  );
  let pair: IpAddressPair;
  if (v6) {
    const a = ipv6Address(src.ip);
    const b = ipv6Address(dst.ip);
    emitIpv6({ ...IPV6_DEFAULTS, hopLimit: seg.ttl ?? 64, src: a, dst: b, nextHeader: IpProtocol.TCP, payloadLength: tcpLen }, frame.subarray(14));
    pair = { src: a, dst: b };
  } else {
    const a = ipv4Address(src.ip);
    const b = ipv4Address(dst.ip);
    emitIpv4({ ...IPV4_DEFAULTS, ttl: seg.ttl ?? 64, src: a, dst: b, protocol: IpProtocol.TCP, payloadLength: tcpLen }, frame.subarray(14));
    pair = { src: a, dst: b };
  }
  const at = 14 + ipLen;
  emitTcp(repr, frame.subarray(at), pair);
  if (seg.badChecksum === true) frame[at + 17] = (frame[at + 17]! ^ 0x5a) & 0xff;
  return frame;
}

/** The pcap file bytes for a list of segments (Ethernet link type, microsecond timestamps). */
export function craftPcap(segments: readonly CraftSegment[], options: CraftOptions = {}): Uint8Array {
  const client = options.client ?? CLIENT4;
  const server = options.server ?? SERVER4;
  const start = options.start ?? 1_700_000_000;
  const w = new PcapWriter({ linkType: 1 });
  const parts: Uint8Array[] = [w.header()];
  for (const seg of segments) {
    const us = Math.round(seg.t * 1e6);
    const tsSec = start + Math.floor(us / 1e6);
    const tsNsec = (((us % 1e6) + 1e6) % 1e6) * 1000;
    parts.push(w.packet({ tsSec, tsNsec, data: craftFrame(seg, client, server) }));
  }
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

let dir: string | undefined;

/** Write a crafted capture to a fresh temporary file; returns its path. */
export function writeCraft(name: string, segments: readonly CraftSegment[], options: CraftOptions = {}): string {
  dir ??= mkdtempSync(join(tmpdir(), 'synack-conns-'));
  const path = join(dir, `${name}.pcap`);
  writeFileSync(path, craftPcap(segments, options));
  return path;
}

/**
 * A plain handshake at t0: client ISN `c`, server ISN `s`, Linux-like options (MSS 1460, SACK,
 * timestamps, window scale 7), the third ACK `rtt` seconds after the SYN.
 */
export function handshake(c: number, s: number, t0 = 0, rtt = 0.01, wscale: number | undefined = 7): CraftSegment[] {
  const opts = (ts: number, ecr: number): TcpOptionsSpec => ({
    mss: 1460,
    sackPermitted: true,
    timestamps: { tsval: ts, tsecr: ecr },
    ...(wscale !== undefined ? { windowScale: wscale } : {}),
  });
  return [
    { t: t0, from: 'c', flags: SYN, seq: c, win: 64240, options: opts(1000, 0) },
    { t: t0 + rtt / 2, from: 's', flags: SYN | ACK, seq: s, ack: c + 1, win: 65160, options: opts(5000, 1000) },
    { t: t0 + rtt, from: 'c', flags: ACK, seq: c + 1, ack: s + 1, win: 502 },
  ];
}

/**
 * A random but plausible connection for differential tests against tshark, reproducible from
 * `seed`: a handshake (or a midstream start), then data both ways with losses (segments left out
 * of the capture), retransmissions, reordering, duplicate ACKs, window changes and zero windows,
 * keep-alives, window probes, FINs, RSTs, new SYNs (retransmitted or reusing the ports), SYN-ACKs
 * with a new ISN, bad checksums and segments that fill the peer's window. ISNs sometimes sit just
 * below 2^32 so that sequence numbers wrap.
 */
export function randomConnection(seed: number): CraftSegment[] {
  let st = seed >>> 0 || 1;
  const rnd = (): number => {
    // xorshift32
    st ^= st << 13;
    st >>>= 0;
    st ^= st >>> 17;
    st ^= st << 5;
    st >>>= 0;
    return st / 0x100000000;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const u32 = (): number => Math.floor(rnd() * 2 ** 32);
  const segs: CraftSegment[] = [];
  let c = rnd() < 0.15 ? 0xfffff000 + Math.floor(rnd() * 0x800) : u32();
  let s = u32();
  const ws = rnd() < 0.2 ? undefined : pick([0, 2, 7]);
  if (rnd() < 0.85) segs.push(...handshake(c, s, 0, pick([0.001, 0.01, 0.0001, 0.05]), ws));
  else segs.push({ t: 0, from: 'c', flags: ACK, seq: c + 1, ack: s + 1, win: 500 });
  let t = 0.06;
  let cn = c + 1;
  let sn = s + 1;
  let cAck = s + 1;
  let sAck = c + 1;
  let cwin = 500;
  let swin = 509;
  const sent: { seq: number; len: number }[] = [];
  const n = 5 + Math.floor(rnd() * 40);
  for (let i = 0; i < n; i++) {
    t += pick([0.0001, 0.001, 0.002, 0.004, 0.03, 0.2]);
    const r = rnd();
    if (r < 0.35) {
      const len = pick([1, 100, 1448, 1448, 536]);
      const lost = rnd() < 0.15;
      if (!lost) segs.push({ t, from: 'c', flags: PSH | ACK, seq: cn, ack: cAck, win: cwin, len });
      sent.push({ seq: cn, len });
      cn += len;
    } else if (r < 0.5) {
      if (rnd() < 0.7) sAck = cn;
      if (rnd() < 0.2) swin = pick([0, 0, 100, 509, 1000]);
      segs.push({ t, from: 's', flags: ACK, seq: sn, ack: sAck, win: swin });
    } else if (r < 0.58) {
      segs.push({ t, from: 's', flags: ACK, seq: sn, ack: sAck, win: swin });
    } else if (r < 0.68) {
      if (sent.length > 0) {
        const q = pick(sent);
        segs.push({ t, from: 'c', flags: PSH | ACK, seq: q.seq, ack: cAck, win: cwin, len: q.len });
      }
    } else if (r < 0.73) {
      const len = pick([1, 50, 1448]);
      segs.push({ t, from: 's', flags: PSH | ACK, seq: sn, ack: sAck, win: swin, len });
      sn += len;
      if (rnd() < 0.7) cAck = sn;
    } else if (r < 0.76) {
      segs.push({ t, from: 'c', flags: ACK, seq: cn - 1, ack: cAck, win: cwin, len: pick([0, 1]) });
    } else if (r < 0.8) {
      segs.push({ t, from: 'c', flags: ACK, seq: cn, ack: cAck, win: cwin, len: 1 });
      if (rnd() < 0.5) cn += 1;
    } else if (r < 0.84) {
      cwin = pick([0, 200, 500, 800]);
      segs.push({ t, from: 'c', flags: ACK, seq: cn, ack: cAck, win: cwin });
    } else if (r < 0.87) {
      if (segs.length > 4) {
        const a = segs.pop() as CraftSegment;
        const b = segs.pop() as CraftSegment;
        segs.push({ ...a, t: b.t }, { ...b, t: a.t });
      }
    } else if (r < 0.89) {
      segs.push({ t, from: 'c', flags: FIN | ACK, seq: cn, ack: cAck, win: cwin });
      cn += 1;
    } else if (r < 0.91) {
      segs.push({ t, from: 's', flags: FIN | ACK, seq: sn, ack: sAck, win: swin });
      sn += 1;
      cAck = sn;
    } else if (r < 0.92) {
      segs.push({ t, from: pick(['c', 's'] as const), flags: RST | ACK, seq: pick([cn, sn]), ack: 0, win: 0 });
    } else if (r < 0.94) {
      const nc = rnd() < 0.5 ? c : u32();
      segs.push({ t, from: 'c', flags: SYN, seq: nc, win: 64240 });
      if (nc !== c && rnd() < 0.7) {
        c = nc;
        s = u32();
        const hs = handshake(c, s, t, 0.001, ws);
        segs.push(hs[1] as CraftSegment, hs[2] as CraftSegment);
        cn = c + 1;
        sn = s + 1;
        cAck = sn;
        sAck = cn;
        t += 0.002;
      }
    } else if (r < 0.95) {
      segs.push({ t, from: 's', flags: SYN | ACK, seq: u32(), ack: c + 1, win: 65160 });
    } else if (r < 0.97) {
      segs.push({ t, from: 'c', flags: PSH | ACK, seq: cn, ack: cAck, win: cwin, len: 10, badChecksum: true });
      cn += 10;
    } else {
      const edge = sAck + swin * 2 ** (ws ?? 0) - cn;
      if (edge > 0 && edge < 3000) {
        segs.push({ t, from: 'c', flags: PSH | ACK, seq: cn, ack: cAck, win: cwin, len: edge });
        cn += edge;
      }
    }
  }
  return segs.map((x) => ({ ...x, seq: x.seq >>> 0, ack: (x.ack ?? 0) >>> 0 }));
}

export const VARIANTS = ['ipv6', 'syn-missed', 'two-interleaved', 'extra-byte', 'time-backwards', 'no-wscale-reply', 'rst-with-data', 'syn-with-data'] as const;
export type Variant = (typeof VARIANTS)[number];

/**
 * `randomConnection(seed)` bent one way: over IPv6; with the first SYN missing; interleaved with a
 * second connection on another client port; with one more payload byte here and there; with
 * timestamps going backwards; with a SYN-ACK that offers no window scale; with RST bits (some
 * carrying data) on random segments; with data on SYNs.
 */
export function randomVariant(seed: number, variant: Variant): { segs: CraftSegment[]; options: CraftOptions } {
  let st = (seed ^ 0x9e3779b9) >>> 0 || 1;
  const rnd = (): number => {
    st ^= st << 13;
    st >>>= 0;
    st ^= st >>> 17;
    st ^= st << 5;
    st >>>= 0;
    return st / 0x100000000;
  };
  let segs = randomConnection(seed);
  let options: CraftOptions = {};
  switch (variant) {
    case 'ipv6':
      options = { client: CLIENT6, server: SERVER6 };
      break;
    case 'syn-missed':
      segs = segs.slice(1);
      break;
    case 'two-interleaved': {
      const other = randomConnection(seed ^ 0x5555).map((s) => ({ ...s, t: s.t + 0.00005, endpoints: { c: { ip: CLIENT4.ip, port: CLIENT4.port + 1 }, s: SERVER4 } }));
      segs = [...segs, ...other].sort((a, b) => a.t - b.t);
      break;
    }
    case 'extra-byte':
      segs = segs.map((s) => (rnd() < 0.1 ? { ...s, len: (s.len ?? 0) + 1 } : s));
      break;
    case 'time-backwards':
      segs = segs.map((s, i) => (i > 3 && rnd() < 0.1 ? { ...s, t: s.t - 0.5 } : s));
      break;
    case 'no-wscale-reply':
      segs = segs.map((s) => ((s.flags & SYN) !== 0 && s.from === 's' ? { ...s, options: { mss: 1400 } } : s));
      break;
    case 'rst-with-data':
      segs = segs.map((s) => (rnd() < 0.05 ? { ...s, flags: s.flags | RST, len: rnd() < 0.5 ? 0 : 5 } : s));
      break;
    case 'syn-with-data':
      segs = segs.map((s) => ((s.flags & SYN) !== 0 && rnd() < 0.5 ? { ...s, len: 10 } : s));
      break;
  }
  return { segs, options };
}
