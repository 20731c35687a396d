/**
 * One summary line per frame, as `synack decode` prints it by default: number, time, addresses and
 * ports, the flags in the seeds' `.A..S.` style and by name, seq, ack, window, payload length, and
 * the options in tcpdump's words. Pure functions over a Dissection; browser-safe.
 *
 * `frameSummaryLine` is the same line straight from a frame's bytes, the path `synack decode` takes
 * for every frame: ordinary TCP segments (the bulk of any capture) are formatted without building
 * the dissection; everything else goes through `dissect`. Invariant: for every input,
 * frameSummaryLine(f, t) === summaryLine(dissect(f), t) (held by a property test on random and
 * mutated frames).
 */
import { decodeLink } from '../capture/linktype.js';
import { u16, u32 } from '../wire/bytes.js';
import { checksumAdd, checksumAddU16, checksumAddU32, checksumFinish, internetChecksum } from '../wire/checksum.js';
import { EtherType, isVlanTpid } from '../wire/ethernet.js';
import { formatIpv4Address, IpProtocol } from '../wire/ipv4.js';
import { formatIpv6Address } from '../wire/ipv6.js';
import { TcpOptionKind } from '../wire/tcp.js';
import { dissect, type Dissection, type FrameInput, type TcpJson, type TcpOptionJson } from './dissect.js';

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

/** Flag names in the order people say them: `SYN, ACK`, `FIN, ACK`, `RST`. */
export function tcpFlagNames(flags: number): string {
  return NAMES.filter(([bit]) => (flags & bit) !== 0)
    .map(([, n]) => n)
    .join(', ');
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

/** The summary line of a frame; equal to `summaryLine(dissect(input), time)`, faster for plain TCP. */
export function frameSummaryLine(input: FrameInput, time: string): string {
  const frame = input.frame;
  const head = frame >= 1000 ? `${frame} ${time} ` : `${String(frame).padStart(4)} ${time} `;
  return head + (leanInfo(input) ?? summaryInfo(dissect(input)));
}

// ---------------------------------------------------------------------------------------------
// The lean path. Each function returns the summary info of the frame, or undefined when the frame
// is not a plain TCP segment the dissector would decode without a problem. The checks mirror, in
// the same order, the ones in dissect.ts (ethernet, ipv4, ipv6, tcp) and wire's parseTcpOptions;
// anything they do not cover is left to the general path, which is always right.

/** `${letters} [${names}]` for all 512 values of the nine flag bits. */
const FLAG_TEXT: readonly string[] = Array.from({ length: 512 }, (_, bits) => `${tcpFlagLetters(bits)} [${tcpFlagNames(bits)}]`);

function leanInfo(input: FrameInput): string | undefined {
  const d = input.data;
  let at: number;
  let etherType: number;
  if (input.linkType === 1) {
    // EthernetFrame.check: 14 bytes, then every VLAN tag and the inner EtherType present.
    if (d.length < 14) return undefined;
    at = 12;
    etherType = u16(d, 12);
    while (isVlanTpid(etherType)) {
      at += 4;
      if (d.length < at + 2) return undefined;
      etherType = u16(d, at);
    }
    at += 2;
  } else {
    const link = decodeLink(input.linkType, d);
    if (!link.ok || link.next !== 'network') return undefined;
    at = link.offset;
    etherType = link.etherType;
  }
  if (etherType === EtherType.IPV4) return leanIpv4(d, at);
  if (etherType === EtherType.IPV6) return leanIpv6(d, at);
  return undefined;
}

function leanIpv4(d: Uint8Array, at: number): string | undefined {
  const avail = d.length - at;
  if (avail < 20) return undefined;
  const vihl = d[at] as number;
  if (vihl >>> 4 !== 4) return undefined;
  const hl = (vihl & 0x0f) * 4;
  if (hl < 20 || hl > avail) return undefined;
  // A total length of 0 (TSO captures) means "what was captured", as in dissect.ts.
  const total = u16(d, at + 2);
  const declared = total === 0 ? avail : total;
  if (declared < hl) return undefined;
  // MF or a fragment offset (RFC 791 3.1): fragments take the general path.
  if ((u16(d, at + 6) & 0x3fff) !== 0) return undefined;
  if (d[at + 9] !== IpProtocol.TCP) return undefined;
  if (internetChecksum(d, at, at + hl) !== 0) return undefined;
  const src = u32(d, at + 12);
  const dst = u32(d, at + 16);
  const t = at + hl;
  const captured = Math.min(declared, avail) - hl;
  if (captured < 20) return undefined;
  const ports = u32(d, t);
  // RFC 9293 3.1 pseudo-header: source, destination, zero, protocol, TCP length.
  let pseudo = checksumAdd(0, d, at + 12, at + 20);
  pseudo = checksumAddU16(checksumAddU16(pseudo, IpProtocol.TCP), declared - hl);
  const rest = leanTcp(d, t, declared - hl, captured, pseudo);
  return rest === undefined ? undefined : v4Pair(src, dst, ports) + rest;
}

function leanIpv6(d: Uint8Array, at: number): string | undefined {
  const avail = d.length - at;
  if (avail < 40) return undefined;
  if ((d[at] as number) >>> 4 !== 6) return undefined;
  // TCP straight after the fixed header; extension headers take the general path.
  if (d[at + 6] !== IpProtocol.TCP) return undefined;
  const declared = 40 + u16(d, at + 4);
  const t = at + 40;
  const captured = Math.min(declared, avail) - 40;
  if (captured < 20) return undefined;
  // RFC 8200 8.1 pseudo-header: source, destination, upper-layer length (32 bits), next header.
  let pseudo = checksumAdd(0, d, at + 8, at + 40);
  pseudo = checksumAddU16(checksumAddU32(pseudo, declared - 40), IpProtocol.TCP);
  const rest = leanTcp(d, t, declared - 40, captured, pseudo);
  return rest === undefined ? undefined : v6Pair(d, at + 8, u32(d, t)) + rest;
}

/**
 * " TCP <flags> seq=.. ack=.. win=.. len=..[ urg=..][ <options>]" of the segment at d[t], `declared`
 * bytes long by the IP header, `captured` of them present (>= 20); undefined on any problem.
 */
function leanTcp(d: Uint8Array, t: number, declared: number, captured: number, pseudo: number): string | undefined {
  const hl = ((d[t + 12] as number) >>> 4) * 4;
  if (hl < 20 || hl > declared || hl > captured) return undefined;
  let opts = '';
  if (hl > 20) {
    const o = leanOptions(d, t + 20, t + hl);
    if (o === undefined) return undefined;
    opts = o;
  }
  // Verified only when every byte of the segment is there (dissect.ts: otherwise null, no problem).
  if (captured === declared && checksumFinish(checksumAdd(pseudo, d, t, t + captured)) !== 0) return undefined;
  const flags = u16(d, t + 12) & 0x01ff;
  let s = ` TCP ${FLAG_TEXT[flags] as string} seq=${u32(d, t + 4)} ack=${u32(d, t + 8)} win=${u16(d, t + 14)} len=${declared - hl}`;
  if ((flags & 0x20) !== 0) s += ` urg=${u16(d, t + 18)}`;
  return opts === '' ? s : `${s} <${opts}>`;
}

/**
 * The options of d[i, end) in tcpdump's words, comma-separated, nop and eol left out; undefined
 * where parseTcpOptions would report an illegal length, and for kinds it keeps as 'unknown'.
 */
function leanOptions(d: Uint8Array, i: number, end: number): string | undefined {
  let s = '';
  while (i < end) {
    const kind = d[i] as number;
    if (kind === TcpOptionKind.EOL) break; // RFC 9293 3.1: the rest is padding
    if (kind === TcpOptionKind.NOP) {
      i++;
      continue;
    }
    if (i + 1 >= end) return undefined;
    const len = d[i + 1] as number;
    if (len < 2 || i + len > end) return undefined;
    let text: string;
    switch (kind) {
      case TcpOptionKind.MSS:
        if (len !== 4) return undefined;
        text = `mss ${u16(d, i + 2)}`;
        break;
      case TcpOptionKind.WINDOW_SCALE:
        if (len !== 3) return undefined;
        text = `wscale ${d[i + 2] as number}`;
        break;
      case TcpOptionKind.SACK_PERMITTED:
        if (len !== 2) return undefined;
        text = 'sackOK';
        break;
      case TcpOptionKind.TIMESTAMPS:
        if (len !== 10) return undefined;
        text = `TS val ${u32(d, i + 2)} ecr ${u32(d, i + 6)}`;
        break;
      case TcpOptionKind.SACK: {
        if (len < 10 || (len - 2) % 8 !== 0) return undefined;
        text = `sack ${(len - 2) / 8} `;
        for (let k = i + 2; k < i + len; k += 8) text += `{${u32(d, k)}:${u32(d, k + 4)}}`;
        break;
      }
      default:
        return undefined;
    }
    s = s === '' ? text : `${s},${text}`;
    i += len;
  }
  return s;
}

// Address-and-port text, "a:p -> b:q", cached per 4-tuple: consecutive frames mostly belong to a
// few conversations. Direct-mapped tables of fixed size: bounded memory whatever the capture.
const V4_SLOTS = 4096;
const v4Keys = new Uint32Array(V4_SLOTS * 3);
const v4Text: (string | undefined)[] = new Array<string | undefined>(V4_SLOTS).fill(undefined);

function v4Pair(src: number, dst: number, ports: number): string {
  const h = Math.imul(src ^ Math.imul(dst, 0x9e3779b1) ^ Math.imul(ports, 0x85ebca6b), 0xc2b2ae35) >>> 20;
  const k = h * 3;
  const hit = v4Text[h];
  if (hit !== undefined && v4Keys[k] === src && v4Keys[k + 1] === dst && v4Keys[k + 2] === ports) return hit;
  const text = `${formatIpv4Address(src)}:${ports >>> 16} -> ${formatIpv4Address(dst)}:${ports & 0xffff}`;
  v4Keys[k] = src;
  v4Keys[k + 1] = dst;
  v4Keys[k + 2] = ports;
  v4Text[h] = text;
  return text;
}

const V6_SLOTS = 1024;
const v6Keys = new Uint32Array(V6_SLOTS * 9);
const v6Text: (string | undefined)[] = new Array<string | undefined>(V6_SLOTS).fill(undefined);

/** The pair for the addresses at d[a, a + 32) (source then destination) and the two ports. */
function v6Pair(d: Uint8Array, a: number, ports: number): string {
  let h = ports;
  for (let i = 0; i < 32; i += 4) h = Math.imul(h ^ u32(d, a + i), 0x9e3779b1);
  h = (Math.imul(h ^ (h >>> 15), 0x85ebca6b) >>> 22) & (V6_SLOTS - 1);
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
  const text = `${endpoint(formatIpv6Address(d.subarray(a, a + 16)), ports >>> 16)} -> ${endpoint(formatIpv6Address(d.subarray(a + 16, a + 32)), ports & 0xffff)}`;
  for (let i = 0; i < 8; i++) v6Keys[k + i] = u32(d, a + 4 * i);
  v6Keys[k + 8] = ports;
  v6Text[h] = text;
  return text;
}
