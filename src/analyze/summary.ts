/**
 * One summary line per frame, as `synack decode` prints it by default: number, time, addresses and
 * ports, the flags in the seeds' `.A..S.` style and by name, seq, ack, window, payload length, and
 * the options in tcpdump's words. Pure functions over a Dissection; browser-safe.
 */
import { fromHex } from '../wire/bytes.js';
import { tcpOptionToString } from '../wire/tcp.js';
import type { Dissection, TcpJson, TcpOptionJson } from './dissect.js';

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
