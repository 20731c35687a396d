/**
 * One summary line per frame, as `synack decode` prints it by default: number, time, addresses and
 * ports, the flags in the seeds' `.A..S.` style and by name, seq, ack, window, payload length, and
 * the options in tcpdump's words. Pure functions over a Dissection; browser-safe.
 *
 * `SummaryWriter` writes the same lines as bytes, the path `synack decode` takes for every frame:
 * ordinary TCP segments (the bulk of any capture) are formatted straight from the frame's bytes,
 * with no dissection object and no strings; everything else goes through `dissect`. Invariant: for
 * every frame, the line it writes is `summaryLine(dissect(f), t.toFixed(6))` with t the frame's
 * time in the writer's mode (held by a property test on random and mutated frames).
 */
import { decodeLink } from '../capture/linktype.js';
import type { PacketRef } from '../capture/types.js';
import { checksumAdd, checksumAddU16, checksumAddU32, checksumFinish, internetChecksum } from '../wire/checksum.js';
import { EtherType, isVlanTpid } from '../wire/ethernet.js';
import { formatIpv4Address, IpProtocol } from '../wire/ipv4.js';
import { formatIpv6Address } from '../wire/ipv6.js';
import { fromHex, u16, u32 } from '../wire/bytes.js';
import { TcpOptionKind, tcpOptionToString } from '../wire/tcp.js';
import { dissect, type Dissection, type FrameInput, type TcpJson, type TcpOptionJson } from './dissect.js';
import type { SummaryKernel } from './summary-kernel.js';
import { TextBuffer, utf8 } from './textbuffer.js';

const LETTERS: readonly [number, string][] = [
  [0x20, 'U'],
  [0x10, 'A'],
  [0x08, 'P'],
  [0x04, 'R'],
  [0x02, 'S'],
  [0x01, 'F'],
];

/** The seeds' six-position flag picture: URG ACK PSH RST SYN FIN, e.g. `.A..S.`. */
export function tcpFlagLetters(flags: number): string {
  let s = '';
  for (const [bit, letter] of LETTERS) s += (flags & bit) !== 0 ? letter : '.';
  return s;
}

const NAMES: readonly [number, string][] = [
  [0x002, 'SYN'],
  [0x001, 'FIN'],
  [0x004, 'RST'],
  [0x008, 'PSH'],
  [0x010, 'ACK'],
  [0x020, 'URG'],
  [0x040, 'ECE'],
  [0x080, 'CWR'],
  [0x100, 'AE'],
];

/** The names of the flags set, in the order people say them: SYN, ACK; FIN, ACK; RST. */
export function tcpFlagNameList(flags: number): string[] {
  return NAMES.filter(([bit]) => (flags & bit) !== 0).map(([, n]) => n);
}

/** Flag names in the order people say them: `SYN, ACK`, `FIN, ACK`, `RST`. */
export function tcpFlagNames(flags: number): string {
  return tcpFlagNameList(flags).join(', ');
}

/** tcpdump's words for an option (`mss 1460`, `sackOK`, `TS val 1 ecr 0`), from the wire layer. */
export function optionText(o: TcpOptionJson): string {
  return tcpOptionToString(o.name === 'unknown' ? { kind: o.kind, name: 'unknown', data: fromHex(o.data) } : o);
}

function endpoint(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

function tcpInfo(t: TcpJson): string {
  const flags = t.flags;
  const bits =
    (flags.fin ? 0x001 : 0) | (flags.syn ? 0x002 : 0) | (flags.rst ? 0x004 : 0) | (flags.psh ? 0x008 : 0) | (flags.ack ? 0x010 : 0) | (flags.urg ? 0x020 : 0) | (flags.ece ? 0x040 : 0) | (flags.cwr ? 0x080 : 0) | (flags.ae ? 0x100 : 0);
  let s = `TCP ${tcpFlagLetters(bits)} [${tcpFlagNames(bits)}] seq=${t.seq} ack=${t.ack} win=${t.window} len=${t.payloadLength}`;
  if (flags.urg) s += ` urg=${t.urgentPointer}`;
  const opts = t.options.filter((o) => o.name !== 'nop' && o.name !== 'eol');
  if (opts.length > 0) s += ` <${opts.map(optionText).join(',')}>`;
  return s;
}

/** Addresses and protocol information of a frame, without number and time. */
export function summaryInfo(d: Dissection): string {
  const j = d.json;
  const ip = j.ipv4 ?? j.ipv6;
  let s: string;
  if (ip !== undefined && j.tcp !== undefined) {
    s = `${endpoint(ip.src, j.tcp.srcPort)} -> ${endpoint(ip.dst, j.tcp.dstPort)} ${tcpInfo(j.tcp)}`;
  } else if (ip !== undefined && j.udp !== undefined) {
    s = `${endpoint(ip.src, j.udp.srcPort)} -> ${endpoint(ip.dst, j.udp.dstPort)} UDP len=${j.udp.payloadLength}`;
  } else if (ip !== undefined && j.icmp !== undefined) {
    s = `${ip.src} -> ${ip.dst} ${j.icmp.version === 4 ? 'ICMP' : 'ICMPv6'} ${j.icmp.name}`;
  } else if (ip !== undefined) {
    const frag = j.ipv4 !== undefined && (j.ipv4.moreFragments || j.ipv4.fragmentOffset > 0) ? ` fragment offset=${j.ipv4.fragmentOffset}${j.ipv4.moreFragments ? ' MF' : ''}` : '';
    s = `${ip.src} -> ${ip.dst} ${d.protocol}${frag}`;
  } else if (j.arp !== undefined) {
    const a = j.arp;
    s = a.operation === 1 ? `ARP who-has ${a.targetIp} tell ${a.senderIp}` : a.operation === 2 ? `ARP ${a.senderIp} is-at ${a.senderMac}` : `ARP operation ${a.operation}`;
  } else if (j.ethernet !== undefined) {
    s = `${j.ethernet.src} -> ${j.ethernet.dst} ${d.protocol}`;
  } else {
    s = d.protocol;
  }
  if (j.problems !== undefined) s += ` [${j.problems.map((p) => p.message).join('; ')}]`;
  return s;
}

/** The whole summary line; `time` is pre-formatted by the caller (absolute, relative...). */
export function summaryLine(d: Dissection, time: string): string {
  return `${String(d.json.frame).padStart(4)} ${time} ${summaryInfo(d)}`;
}


/** How `synack decode` shows time: since the first frame shown, since the epoch, since the previous frame shown. */
export type TimeMode = 'rel' | 'abs' | 'delta';

/** A frame with its capture time as exact parts (a CaptureRecord is one). */
export interface TimedFrame extends FrameInput {
  /** Whole seconds; `timestamp === tsSec + tsNsec / 1e9`. */
  readonly tsSec: number;
  readonly tsNsec: number;
}

/**
 * Appends summary lines, each `${frame} ${time} ${summaryInfo}` and a newline, to a TextBuffer.
 * The time is what `t.toFixed(6)` prints for the frame's time in seconds, t computed from the
 * double timestamps as the general path does; the digits are made from the exact integer parts
 * when that provably gives the same six decimals (see `seconds`), else by toFixed itself.
 */
export class SummaryWriter {
  // The reference instant (first frame for 'rel', previous frame for 'delta'): double and parts,
  // and whether the parts are exact (see exactInstant), which the kernel needs.
  private refTs = NaN;
  private refSec = 0;
  private refNsec = 0;
  private refExact = false;
  private started = false;

  /** With a kernel (summary-kernel.ts), appendPacket writes plain TCP segments in WebAssembly. */
  constructor(
    readonly mode: TimeMode = 'rel',
    private readonly kernel?: SummaryKernel,
  ) {}

  /**
   * Append the line of a packet from the capture layer's onPacket delivery: by the kernel when it
   * takes the frame (the same bytes, see summary-kernel.ts), else as append() of its record.
   */
  appendPacket(out: TextBuffer, p: PacketRef): void {
    const k = this.kernel;
    // The kernel's times: integer seconds in [0, 2^31) and nanoseconds in [0, 1e9) (exactInstant).
    if (k !== undefined && (p.tsSec | 0) === p.tsSec && p.tsSec >= 0 && (p.tsNsec | 0) === p.tsNsec && p.tsNsec >= 0 && p.tsNsec < 1e9) {
      if (this.mode === 'abs') {
        if (k.tryLine(out, p, 0, 0, false)) return;
      } else if (!this.started) {
        // The first frame is its own reference in both 'rel' and 'delta'.
        if (k.tryLine(out, p, p.tsSec, p.tsNsec, true)) {
          this.setRefParts(p.tsSec, p.tsNsec);
          this.started = true;
          return;
        }
      } else if (this.refExact && k.tryLine(out, p, this.refSec, this.refNsec, true)) {
        if (this.mode === 'delta') this.setRefParts(p.tsSec, p.tsNsec);
        return;
      }
    }
    this.append(out, p.toRecord());
  }

  /** Append the line of `r`. */
  append(out: TextBuffer, r: TimedFrame): void {
    out.uintPadded(r.frame, 4, 0x20);
    out.byte(0x20);
    const ts = r.timestamp;
    if (this.mode === 'abs') {
      seconds(out, ts, r.tsSec, r.tsNsec, 0, 0, 0, false);
    } else {
      if (!this.started || this.mode === 'delta') {
        if (!this.started) this.setRef(r);
        this.started = true;
      }
      seconds(out, ts, r.tsSec, r.tsNsec, this.refTs, this.refSec, this.refNsec, true);
      if (this.mode === 'delta') this.setRef(r);
    }
    out.byte(0x20);
    const mark = out.length;
    if (!leanSummaryInfo(out, r)) {
      out.length = mark;
      out.text(summaryInfo(dissect(r)));
    }
    out.byte(0x0a);
  }

  private setRef(r: TimedFrame): void {
    this.refTs = r.timestamp;
    this.refSec = r.tsSec;
    this.refNsec = r.tsNsec;
    this.refExact = exactInstant(r.timestamp, r.tsSec, r.tsNsec);
  }

  /** The reference from exact parts (a CaptureRecord's timestamp is tsSec + tsNsec / 1e9). */
  private setRefParts(sec: number, nsec: number): void {
    this.refTs = sec + nsec / 1e9;
    this.refSec = sec;
    this.refNsec = nsec;
    this.refExact = true;
  }
}

/**
 * Whether the double timestamp is exactly sec + nsec / 1e9 (the capture layer's invariant) for an
 * integer second in [0, 2^31): then it is within 2^-23 + 2^-54 s (< 0.12 us) of the exact time.
 */
function exactInstant(ts: number, sec: number, nsec: number): boolean {
  return sec >= 0 && sec < 0x80000000 && Number.isInteger(sec) && Number.isInteger(nsec) && nsec >= 0 && nsec < 1e9 && ts === sec + nsec / 1e9;
}

/**
 * Append `(ts - refTs).toFixed(6)` (`ts.toFixed(6)` without a reference). The double result is
 * within 0.36 us of the exact difference of the integer parts (two timestamps off by < 0.12 us
 * each, and the subtraction's own rounding, < 0.12 us below 2^31 s), and toFixed rounds it to the
 * nearest microsecond. So when the exact difference lies within 0.1 us of a whole microsecond, the
 * double rounds to that same microsecond and the digits can be written from integers; otherwise
 * (sub-microsecond times near a half, negative spans, times outside [0, 2^31) s) toFixed is used.
 */
function seconds(out: TextBuffer, ts: number, sec: number, nsec: number, refTs: number, refSec: number, refNsec: number, hasRef: boolean): void {
  if (exactInstant(ts, sec, nsec) && (!hasRef || exactInstant(refTs, refSec, refNsec))) {
    if (hasRef) {
      sec -= refSec;
      nsec -= refNsec;
      if (nsec < 0) {
        sec -= 1;
        nsec += 1e9;
      }
    }
    if (sec >= 0) {
      let us = Math.floor(nsec / 1000);
      const rest = nsec - us * 1000;
      if (rest <= 100 || rest >= 900) {
        if (rest >= 900) us++;
        if (us === 1_000_000) {
          sec++;
          us = 0;
        }
        out.uint(sec);
        out.byte(0x2e);
        out.uintPadded(us, 6, 0x30);
        return;
      }
    }
  }
  out.ascii((hasRef ? ts - refTs : ts).toFixed(6));
}

// ---------------------------------------------------------------------------------------------
// The lean path. Each function writes the summary info of the frame and returns true, or returns
// false (leaving partial output for the caller to rewind) when the frame is not a plain TCP segment
// the dissector would decode without a problem. The checks mirror, in order, the ones in
// dissect.ts (ethernet, ipv4, ipv6, tcp) and wire's parseTcpOptions; what they do not cover is
// left to the general path, which is always right.

/** ` TCP ${letters} [${names}] seq=` for all 512 values of the nine flag bits. */
export const FLAG_BYTES: readonly Uint8Array[] = Array.from({ length: 512 }, (_, bits) => utf8(` TCP ${tcpFlagLetters(bits)} [${tcpFlagNames(bits)}] seq=`));

/**
 * Write the summary info of a plain TCP segment (what summaryInfo(dissect(input)) would say) and
 * return true; return false, with partial output to rewind, for any other frame.
 */
export function leanSummaryInfo(out: TextBuffer, input: FrameInput): boolean {
  const d = input.data;
  let at: number;
  let etherType: number;
  if (input.linkType === 1) {
    // EthernetFrame.check: 14 bytes, then every VLAN tag and the inner EtherType present.
    if (d.length < 14) return false;
    at = 12;
    etherType = u16(d, 12);
    while (isVlanTpid(etherType)) {
      at += 4;
      if (d.length < at + 2) return false;
      etherType = u16(d, at);
    }
    at += 2;
  } else {
    const link = decodeLink(input.linkType, d);
    if (!link.ok || link.next !== 'network') return false;
    at = link.offset;
    etherType = link.etherType;
  }
  if (etherType === EtherType.IPV4) return leanIpv4(out, d, at);
  if (etherType === EtherType.IPV6) return leanIpv6(out, d, at);
  return false;
}

function leanIpv4(out: TextBuffer, d: Uint8Array, at: number): boolean {
  const avail = d.length - at;
  if (avail < 20) return false;
  const vihl = d[at] as number;
  if (vihl >>> 4 !== 4) return false;
  const hl = (vihl & 0x0f) * 4;
  if (hl < 20 || hl > avail) return false;
  // A total length of 0 (TSO captures) means "what was captured", as in dissect.ts.
  const total = u16(d, at + 2);
  const declared = total === 0 ? avail : total;
  if (declared < hl) return false;
  // MF or a fragment offset (RFC 791 3.1): fragments take the general path.
  if ((u16(d, at + 6) & 0x3fff) !== 0) return false;
  if (d[at + 9] !== IpProtocol.TCP) return false;
  if (internetChecksum(d, at, at + hl) !== 0) return false;
  const t = at + hl;
  const captured = Math.min(declared, avail) - hl;
  // RFC 9293 3.1 pseudo-header: source, destination, zero, protocol, TCP length.
  let pseudo = checksumAdd(0, d, at + 12, at + 20);
  pseudo = checksumAddU16(checksumAddU16(pseudo, IpProtocol.TCP), declared - hl);
  if (!tcpHeaderOk(d, t, declared - hl, captured, pseudo)) return false;
  out.raw(v4Pair(u32(d, at + 12), u32(d, at + 16), u32(d, t)));
  return leanTcp(out, d, t, declared - hl);
}

function leanIpv6(out: TextBuffer, d: Uint8Array, at: number): boolean {
  const avail = d.length - at;
  if (avail < 40) return false;
  if ((d[at] as number) >>> 4 !== 6) return false;
  // TCP straight after the fixed header; extension headers take the general path.
  if (d[at + 6] !== IpProtocol.TCP) return false;
  const declared = 40 + u16(d, at + 4);
  const t = at + 40;
  const captured = Math.min(declared, avail) - 40;
  // RFC 8200 8.1 pseudo-header: source, destination, upper-layer length (32 bits), next header.
  let pseudo = checksumAdd(0, d, at + 8, at + 40);
  pseudo = checksumAddU16(checksumAddU32(pseudo, declared - 40), IpProtocol.TCP);
  if (!tcpHeaderOk(d, t, declared - 40, captured, pseudo)) return false;
  out.raw(v6Pair(d, at + 8, u32(d, t)));
  return leanTcp(out, d, t, declared - 40);
}

/**
 * The segment at d[t], `declared` bytes long by the IP header and `captured` of them present, has
 * a whole header and, when every byte is there, a correct checksum (dissect.ts verifies only then).
 */
function tcpHeaderOk(d: Uint8Array, t: number, declared: number, captured: number, pseudo: number): boolean {
  if (captured < 20) return false;
  const hl = ((d[t + 12] as number) >>> 4) * 4;
  if (hl < 20 || hl > declared || hl > captured) return false;
  return captured !== declared || checksumFinish(checksumAdd(pseudo, d, t, t + captured)) === 0;
}

/** " TCP <flags> seq=.. ack=.. win=.. len=..[ urg=..][ <options>]"; false on an option problem. */
function leanTcp(out: TextBuffer, d: Uint8Array, t: number, declared: number): boolean {
  const hl = ((d[t + 12] as number) >>> 4) * 4;
  const flags = u16(d, t + 12) & 0x01ff;
  out.raw(FLAG_BYTES[flags] as Uint8Array);
  out.uint(u32(d, t + 4));
  out.ascii(' ack=');
  out.uint(u32(d, t + 8));
  out.ascii(' win=');
  out.uint(u16(d, t + 14));
  out.ascii(' len=');
  out.uint(declared - hl);
  if ((flags & 0x20) !== 0) {
    out.ascii(' urg=');
    out.uint(u16(d, t + 18));
  }
  if (hl === 20) return true;
  // The layout Linux and most stacks put on every segment after the handshake: nop, nop,
  // timestamps (RFC 7323 appendix A), the one option the summary shows.
  if (hl === 32 && u32(d, t + 20) === 0x0101080a) {
    out.ascii(' <TS val ');
    out.uint(u32(d, t + 24));
    out.ascii(' ecr ');
    out.uint(u32(d, t + 28));
    out.byte(0x3e); // >
    return true;
  }
  return leanOptions(out, d, t + 20, t + hl);
}

/**
 * " <options>" of d[i, end) in tcpdump's words, nop and eol left out (nothing when only those);
 * false where parseTcpOptions would report an illegal length, and for kinds it keeps as 'unknown'.
 */
function leanOptions(out: TextBuffer, d: Uint8Array, i: number, end: number): boolean {
  let any = false;
  while (i < end) {
    const kind = d[i] as number;
    if (kind === TcpOptionKind.EOL) break; // RFC 9293 3.1: the rest is padding
    if (kind === TcpOptionKind.NOP) {
      i++;
      continue;
    }
    if (i + 1 >= end) return false;
    const len = d[i + 1] as number;
    if (len < 2 || i + len > end) return false;
    out.ascii(any ? ',' : ' <');
    any = true;
    switch (kind) {
      case TcpOptionKind.MSS:
        if (len !== 4) return false;
        out.ascii('mss ');
        out.uint(u16(d, i + 2));
        break;
      case TcpOptionKind.WINDOW_SCALE:
        if (len !== 3) return false;
        out.ascii('wscale ');
        out.uint(d[i + 2] as number);
        break;
      case TcpOptionKind.SACK_PERMITTED:
        if (len !== 2) return false;
        out.ascii('sackOK');
        break;
      case TcpOptionKind.TIMESTAMPS:
        if (len !== 10) return false;
        out.ascii('TS val ');
        out.uint(u32(d, i + 2));
        out.ascii(' ecr ');
        out.uint(u32(d, i + 6));
        break;
      case TcpOptionKind.SACK:
        if (len < 10 || (len - 2) % 8 !== 0) return false;
        out.ascii('sack ');
        out.uint((len - 2) / 8);
        out.byte(0x20);
        for (let k = i + 2; k < i + len; k += 8) {
          out.byte(0x7b); // {
          out.uint(u32(d, k));
          out.byte(0x3a); // :
          out.uint(u32(d, k + 4));
          out.byte(0x7d); // }
        }
        break;
      default:
        return false;
    }
    i += len;
  }
  if (any) out.byte(0x3e); // >
  return true;
}

/** "a:p -> b:q" for IPv4 addresses and the TCP header's first word (source port, destination port). */
export function v4PairText(src: number, dst: number, ports: number): string {
  return `${formatIpv4Address(src)}:${ports >>> 16} -> ${formatIpv4Address(dst)}:${ports & 0xffff}`;
}

/** "[a]:p -> [b]:q" for the IPv6 addresses at d[a, a + 32) (source, destination) and the ports. */
export function v6PairText(d: Uint8Array, a: number, ports: number): string {
  return `${endpoint(formatIpv6Address(d.subarray(a, a + 16)), ports >>> 16)} -> ${endpoint(formatIpv6Address(d.subarray(a + 16, a + 32)), ports & 0xffff)}`;
}

// Address-and-port text, "a:p -> b:q" as bytes, cached per 4-tuple: consecutive frames mostly
// belong to a few conversations. Direct-mapped tables of fixed size: bounded memory whatever the
// capture holds.
const V4_SLOTS = 4096;
const v4Keys = new Uint32Array(V4_SLOTS * 3);
const v4Text: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(V4_SLOTS).fill(undefined);

function v4Pair(src: number, dst: number, ports: number): Uint8Array {
  const h = Math.imul(src ^ Math.imul(dst, 0x9e3779b1) ^ Math.imul(ports, 0x85ebca6b), 0xc2b2ae35) >>> 20;
  const k = h * 3;
  const hit = v4Text[h];
  if (hit !== undefined && v4Keys[k] === src && v4Keys[k + 1] === dst && v4Keys[k + 2] === ports) return hit;
  const text = utf8(v4PairText(src, dst, ports));
  v4Keys[k] = src;
  v4Keys[k + 1] = dst;
  v4Keys[k + 2] = ports;
  v4Text[h] = text;
  return text;
}

const V6_SLOTS = 1024;
const v6Keys = new Uint32Array(V6_SLOTS * 9);
const v6Text: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(V6_SLOTS).fill(undefined);

/** The pair for the addresses at d[a, a + 32) (source then destination) and the two ports. */
function v6Pair(d: Uint8Array, a: number, ports: number): Uint8Array {
  let h = ports;
  for (let i = 0; i < 32; i += 4) h = Math.imul(h ^ u32(d, a + i), 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b) >>> 22;
  const k = h * 9;
  const hit = v6Text[h];
  if (hit !== undefined && v6Keys[k + 8] === ports) {
    let same = true;
    for (let i = 0; i < 8; i++) {
      if (v6Keys[k + i] !== u32(d, a + 4 * i)) {
        same = false;
        break;
      }
    }
    if (same) return hit;
  }
  const text = utf8(v6PairText(d, a, ports));
  for (let i = 0; i < 8; i++) v6Keys[k + i] = u32(d, a + 4 * i);
  v6Keys[k + 8] = ports;
  v6Text[h] = text;
  return text;
}
