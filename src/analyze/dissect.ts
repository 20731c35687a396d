/**
 * The frame dissector: walks one captured frame from the link layer up to TCP/UDP/ICMP and returns
 * plain data: the decoded values (the `synack decode --json` object, field names fixed by the
 * decode spec), the byte span of every layer (for the field tree and the hex view), and the problems
 * found on the way (truncation, bad lengths, bad checksums, illegal options).
 *
 * Invariants: never throws, whatever the bytes; every span lies inside the captured bytes; a
 * checksum is `true`/`false` only when every byte it covers was captured and the datagram is not a
 * fragment, `null` otherwise. Browser-safe: no Node imports.
 */
import { decodeLink, linkTypeName } from '../capture/linktype.js';
import {
  ArpPacket,
  EthernetFrame,
  EtherType,
  formatIpv4Address,
  formatIpv6Address,
  formatMac,
  icmpv4TypeName,
  icmpv6TypeName,
  icmpv6Checksum,
  Icmpv4Packet,
  Icmpv6Packet,
  IpProtocol,
  type IpAddressPair,
  Ipv4Packet,
  Ipv6Packet,
  internetChecksum,
  TcpPacket,
  tcpChecksum,
  UdpPacket,
  udpChecksum,
  walkIpv6Chain,
  type TcpOption,
  ipProtocolName,
  etherTypeName,
} from '../wire/index.js';

/** What the dissector needs of a capture record. */
export interface FrameInput {
  readonly frame: number;
  /** Seconds since the epoch. */
  readonly timestamp: number;
  readonly capturedLength: number;
  readonly originalLength: number;
  readonly linkType: number;
  readonly data: Uint8Array;
}

export interface EthernetJson {
  readonly src: string;
  readonly dst: string;
  readonly etherType: number;
  readonly vlan?: readonly { readonly tpid: number; readonly pcp: number; readonly dei: boolean; readonly vid: number }[];
}

export interface LinkJson {
  readonly type: string;
  readonly protocol?: number;
  readonly packetType?: number;
  readonly interfaceIndex?: number;
  readonly address?: string;
  readonly family?: number;
}

export interface ArpJson {
  readonly hardwareType: number;
  readonly protocolType: number;
  readonly operation: number;
  readonly senderMac: string;
  readonly senderIp: string;
  readonly targetMac: string;
  readonly targetIp: string;
}

export interface Ipv4Json {
  readonly src: string;
  readonly dst: string;
  readonly ttl: number;
  readonly identification: number;
  readonly dontFragment: boolean;
  readonly moreFragments: boolean;
  /** In bytes (the 13-bit field times 8), as tshark's ip.frag_offset. */
  readonly fragmentOffset: number;
  readonly protocol: number;
  /** In bytes. */
  readonly headerLength: number;
  readonly totalLength: number;
  readonly checksum: number;
  readonly checksumValid: boolean | null;
  readonly dscp: number;
  readonly ecn: number;
}

export interface Ipv6Json {
  readonly src: string;
  readonly dst: string;
  readonly hopLimit: number;
  readonly flowLabel: number;
  readonly trafficClass: number;
  readonly nextHeader: number;
  readonly payloadLength: number;
  readonly extensionHeaders: readonly { readonly type: number; readonly name: string; readonly length: number }[];
  readonly fragment?: { readonly offset: number; readonly moreFragments: boolean; readonly identification: number };
}

export type TcpOptionJson =
  | Exclude<TcpOption, { name: 'unknown' }>
  | { readonly kind: number; readonly name: 'unknown'; readonly data: string };

export interface TcpFlagsJson {
  readonly fin: boolean;
  readonly syn: boolean;
  readonly rst: boolean;
  readonly psh: boolean;
  readonly ack: boolean;
  readonly urg: boolean;
  readonly ece: boolean;
  readonly cwr: boolean;
  readonly ae: boolean;
}

export interface TcpJson {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  /** In bytes (data offset times 4). */
  readonly headerLength: number;
  readonly flags: TcpFlagsJson;
  readonly window: number;
  readonly checksum: number;
  readonly checksumValid: boolean | null;
  readonly urgentPointer: number;
  readonly payloadLength: number;
  readonly options: readonly TcpOptionJson[];
}

export interface UdpJson {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly length: number;
  readonly checksum: number;
  /** null when the checksum is absent (0 over IPv4) or not fully captured. */
  readonly checksumValid: boolean | null;
  readonly payloadLength: number;
}

export interface IcmpJson {
  readonly version: 4 | 6;
  readonly type: number;
  readonly code: number;
  readonly name: string;
  readonly checksum: number;
  readonly checksumValid: boolean | null;
}

export interface Problem {
  readonly layer: string;
  readonly message: string;
  /** Byte offset in the frame. */
  readonly offset: number;
}

/** The `synack decode --json` object of one frame. */
export interface FrameJson {
  frame: number;
  time: number;
  capturedLength: number;
  originalLength: number;
  linkType: number;
  link?: LinkJson;
  ethernet?: EthernetJson;
  arp?: ArpJson;
  ipv4?: Ipv4Json;
  ipv6?: Ipv6Json;
  tcp?: TcpJson;
  udp?: UdpJson;
  icmp?: IcmpJson;
  problems?: Problem[];
}

/** Where one protocol layer sits in the frame. */
export interface LayerSpan {
  readonly layer: 'link' | 'ethernet' | 'arp' | 'ipv4' | 'ipv6' | 'tcp' | 'udp' | 'icmp' | 'payload' | 'padding' | 'data';
  readonly offset: number;
  readonly length: number;
}

export interface Dissection {
  readonly json: FrameJson;
  readonly spans: readonly LayerSpan[];
  /** The frame's bytes (the record's data). */
  readonly data: Uint8Array;
  /** Network-layer protocol name for summaries ('TCP', 'UDP', 'ARP', 'IPv4', 'ICMPv6', ...). */
  readonly protocol: string;
  /** For each checksum that failed, the value it should have had. */
  readonly expected: ExpectedChecksums;
}

export interface ExpectedChecksums {
  ipv4?: number;
  tcp?: number;
  udp?: number;
  icmp?: number;
}

/**
 * The field value that would have verified, from the field `f` and the failed verification result
 * `r` (the complemented sum over the data with `f` in place): ~S = r + f in one's complement
 * arithmetic (RFC 1624).
 */
function correctChecksum(f: number, r: number): number {
  const s = f + r;
  return ((s & 0xffff) + (s >>> 16)) & 0xffff;
}

const FLAG_NAMES = ['fin', 'syn', 'rst', 'psh', 'ack', 'urg', 'ece', 'cwr', 'ae'] as const;

export function tcpFlagsJson(flags: number): TcpFlagsJson {
  return {
    fin: (flags & 0x001) !== 0,
    syn: (flags & 0x002) !== 0,
    rst: (flags & 0x004) !== 0,
    psh: (flags & 0x008) !== 0,
    ack: (flags & 0x010) !== 0,
    urg: (flags & 0x020) !== 0,
    ece: (flags & 0x040) !== 0,
    cwr: (flags & 0x080) !== 0,
    ae: (flags & 0x100) !== 0,
  };
}

/** Flag bits back from the JSON form. */
export function tcpFlagsBits(f: TcpFlagsJson): number {
  let bits = 0;
  FLAG_NAMES.forEach((name, i) => {
    if (f[name]) bits |= 1 << i;
  });
  return bits;
}

function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

function optionJson(o: TcpOption): TcpOptionJson {
  if (o.name === 'unknown') return { kind: o.kind, name: 'unknown', data: hex((o as { data: Uint8Array }).data) };
  return o as Exclude<TcpOption, { name: 'unknown' }>;
}

/** Mutable walk state. */
class Walk {
  readonly spans: LayerSpan[] = [];
  readonly problems: Problem[] = [];
  readonly expected: ExpectedChecksums = {};
  protocol = 'unknown';
  constructor(readonly json: FrameJson, readonly data: Uint8Array) {}
  span(layer: LayerSpan['layer'], offset: number, length: number): void {
    if (length > 0) this.spans.push({ layer, offset, length });
  }
  problem(layer: string, message: string, offset: number): void {
    this.problems.push({ layer, message, offset });
  }
}

/** Dissect one frame. Never throws. */
export function dissect(input: FrameInput): Dissection {
  const data = input.data;
  const json: FrameJson = {
    frame: input.frame,
    time: input.timestamp,
    capturedLength: input.capturedLength,
    originalLength: input.originalLength,
    linkType: input.linkType,
  };
  const w = new Walk(json, data);
  const link = decodeLink(input.linkType, data);
  if (!link.ok) {
    w.protocol = linkTypeName(input.linkType) ?? `link ${input.linkType}`;
    w.problem('link', link.problem === 'unsupported' ? `link type ${input.linkType} not supported` : link.reason, 0);
    w.span('data', 0, data.length);
  } else if (link.next === 'ethernet') {
    ethernet(w, 0);
  } else {
    const h = link.header;
    if (h !== undefined) {
      if (h.kind === 'null') json.link = { type: 'null', family: h.family };
      else if (h.kind === 'sll') json.link = { type: 'sll', protocol: h.protocol, packetType: h.packetType, address: formatMac(h.address) };
      else json.link = { type: 'sll2', protocol: h.protocol, packetType: h.packetType, interfaceIndex: h.interfaceIndex, address: formatMac(h.address) };
      w.span('link', 0, link.offset);
    }
    network(w, link.etherType, link.offset);
  }
  if (w.problems.length > 0) json.problems = w.problems;
  return { json, spans: w.spans, data, protocol: w.protocol, expected: w.expected };
}

function ethernet(w: Walk, at: number): void {
  const bytes = w.data.subarray(at);
  const eth = new EthernetFrame(bytes);
  const err = eth.check();
  if (err !== undefined) {
    w.protocol = 'Ethernet';
    w.problem('ethernet', err.message, at + err.offset);
    w.span('data', at, bytes.length);
    return;
  }
  const vlans = eth.vlanCount;
  const json: EthernetJson = {
    src: formatMac(eth.src),
    dst: formatMac(eth.dst),
    etherType: eth.etherType,
    ...(vlans > 0 ? { vlan: Array.from({ length: vlans }, (_, i) => eth.vlan(i)) } : {}),
  };
  w.json.ethernet = json;
  w.span('ethernet', at, eth.headerLength);
  const end = network(w, eth.etherType, at + eth.headerLength);
  // Bytes after the network-layer packet are Ethernet padding (or trailers).
  if (end < w.data.length) w.span('padding', end, w.data.length - end);
}

/** Decode the network layer at `at`; returns where the network packet ends in the frame. */
function network(w: Walk, etherType: number, at: number): number {
  switch (etherType) {
    case EtherType.IPV4:
      return ipv4(w, at);
    case EtherType.IPV6:
      return ipv6(w, at);
    case EtherType.ARP:
      return arp(w, at);
    default:
      w.protocol = etherTypeName(etherType) ?? `0x${etherType.toString(16).padStart(4, '0')}`;
      w.span('data', at, w.data.length - at);
      return w.data.length;
  }
}

function arp(w: Walk, at: number): number {
  w.protocol = 'ARP';
  const view = new ArpPacket(w.data.subarray(at));
  const err = view.check();
  if (err !== undefined) {
    w.problem('arp', err.message, at + err.offset);
    w.span('data', at, w.data.length - at);
    return w.data.length;
  }
  const ip = (b: Uint8Array): string => (b.length === 4 ? formatIpv4Address(((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0) : hex(b));
  w.json.arp = {
    hardwareType: view.hardwareType,
    protocolType: view.protocolType,
    operation: view.operation,
    senderMac: formatMac(view.senderHardwareAddress),
    senderIp: ip(view.senderProtocolAddress),
    targetMac: formatMac(view.targetHardwareAddress),
    targetIp: ip(view.targetProtocolAddress),
  };
  w.span('arp', at, view.length);
  return at + view.length;
}

function ipv4(w: Walk, at: number): number {
  w.protocol = 'IPv4';
  const avail = w.data.length - at;
  const view = new Ipv4Packet(w.data.subarray(at));
  if (avail < 20) {
    w.problem('ipv4', `IPv4 header needs 20 bytes, frame has ${avail}`, w.data.length);
    w.span('data', at, avail);
    return w.data.length;
  }
  if (view.version !== 4) {
    w.problem('ipv4', `IP version is ${view.version}, not 4`, at);
    w.span('data', at, avail);
    return w.data.length;
  }
  const hl = view.headerLength;
  if (hl < 20 || hl > avail) {
    w.problem('ipv4', hl < 20 ? `IPv4 header length ${hl} is below 20` : `IPv4 header length ${hl} but only ${avail} bytes captured`, at);
    w.span('data', at, avail);
    return w.data.length;
  }
  // A total length of 0 is what captures of TSO-offloaded packets show: take what was captured.
  const declared = view.totalLength === 0 ? avail : view.totalLength;
  const end = Math.min(declared, avail);
  const fragment = view.moreFragments || view.fragmentOffset > 0;
  const ipSum = internetChecksum(w.data, at, at + hl);
  if (ipSum !== 0) w.expected.ipv4 = correctChecksum(view.checksum, ipSum);
  w.json.ipv4 = {
    src: formatIpv4Address(view.src),
    dst: formatIpv4Address(view.dst),
    ttl: view.ttl,
    identification: view.identification,
    dontFragment: view.dontFragment,
    moreFragments: view.moreFragments,
    fragmentOffset: view.fragmentOffset,
    protocol: view.protocol,
    headerLength: hl,
    totalLength: view.totalLength,
    checksum: view.checksum,
    checksumValid: ipSum === 0,
    dscp: view.dscp,
    ecn: view.ecn,
  };
  w.span('ipv4', at, hl);
  if (!w.json.ipv4.checksumValid) w.problem('ipv4', `IPv4 header checksum 0x${hex4(view.checksum)} is wrong`, at + 10);
  if (declared < hl) {
    w.problem('ipv4', `IPv4 total length ${declared} is less than the header length ${hl}`, at + 2);
    return at + hl;
  }
  const pair = { src: view.src, dst: view.dst };
  if (view.fragmentOffset > 0) {
    w.protocol = 'IPv4';
    w.span('data', at + hl, end - hl);
  } else {
    transport(w, view.protocol, at + hl, declared - hl, end - hl, pair, fragment);
  }
  return at + end;
}

function ipv6(w: Walk, at: number): number {
  w.protocol = 'IPv6';
  const avail = w.data.length - at;
  const view = new Ipv6Packet(w.data.subarray(at));
  if (avail < 40) {
    w.problem('ipv6', `IPv6 header needs 40 bytes, frame has ${avail}`, w.data.length);
    w.span('data', at, avail);
    return w.data.length;
  }
  if (view.version !== 6) {
    w.problem('ipv6', `IP version is ${view.version}, not 6`, at);
    w.span('data', at, avail);
    return w.data.length;
  }
  const declared = 40 + view.payloadLength;
  const end = Math.min(declared, avail);
  const chain = walkIpv6Chain(view);
  const frag = chain.fragment;
  w.json.ipv6 = {
    src: formatIpv6Address(view.src),
    dst: formatIpv6Address(view.dst),
    hopLimit: view.hopLimit,
    flowLabel: view.flowLabel,
    trafficClass: view.trafficClass,
    nextHeader: view.nextHeader,
    payloadLength: view.payloadLength,
    extensionHeaders: chain.headers.map((h) => ({ type: h.type, name: h.name, length: h.length })),
    ...(frag !== undefined ? { fragment: { offset: frag.fragmentOffset, moreFragments: frag.moreFragments, identification: frag.identification } } : {}),
  };
  w.span('ipv6', at, chain.upperOffset > end ? end : chain.upperOffset);
  if (chain.error !== undefined) {
    w.problem('ipv6', chain.error.message, at + chain.error.offset);
    return at + end;
  }
  if (!chain.upperHeaderPresent) {
    if (chain.upperOffset < end) w.span('data', at + chain.upperOffset, end - chain.upperOffset);
    return at + end;
  }
  const addrs: IpAddressPair = { src: view.src, dst: chain.finalDestination ?? view.dst };
  const fragment = frag !== undefined;
  transport(w, chain.upperProtocol, at + chain.upperOffset, declared - chain.upperOffset, end - chain.upperOffset, addrs, fragment);
  return at + end;
}

function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}

/**
 * The upper layer at `at`: `declared` bytes by the IP header, `captured` of them present.
 * Checksums are verified only when every byte is present and the datagram is whole.
 */
function transport(w: Walk, protocol: number, at: number, declared: number, captured: number, pair: IpAddressPair, fragment: boolean): void {
  const bytes = w.data.subarray(at, at + captured);
  const whole = !fragment && captured === declared;
  switch (protocol) {
    case IpProtocol.TCP:
      return tcp(w, at, bytes, declared, whole ? pair : undefined);
    case IpProtocol.UDP:
      return udp(w, at, bytes, declared, whole ? pair : undefined);
    case IpProtocol.ICMP:
    case IpProtocol.ICMPV6:
      return icmp(w, protocol === IpProtocol.ICMP ? 4 : 6, at, bytes, whole ? pair : undefined);
    default:
      w.protocol = ipProtocolName(protocol)?.toUpperCase() ?? `IP proto ${protocol}`;
      w.span('data', at, captured);
  }
}

function tcp(w: Walk, at: number, bytes: Uint8Array, declared: number, pair: IpAddressPair | undefined): void {
  w.protocol = 'TCP';
  if (bytes.length < 20) {
    w.problem('tcp', declared < 20 ? `TCP segment of ${declared} bytes is shorter than a header` : `TCP header cut off: ${bytes.length} of 20 bytes captured`, at + bytes.length);
    w.span('data', at, bytes.length);
    return;
  }
  const view = new TcpPacket(bytes);
  const hl = view.headerLength;
  if (hl < 20) w.problem('tcp', `TCP data offset ${hl / 4} (${hl} bytes) is below 5`, at + 12);
  else if (hl > declared) w.problem('tcp', `TCP header length ${hl} is longer than the segment (${declared} bytes)`, at + 12);
  else if (hl > bytes.length) w.problem('tcp', `TCP header cut off: ${bytes.length} of ${hl} bytes captured`, at + bytes.length);
  const optionList = hl > 20 ? view.options : undefined;
  if (optionList?.error !== undefined) w.problem('tcp', optionList.error.message, at + optionList.error.offset);
  const sum = pair === undefined || hl < 20 ? undefined : tcpChecksum(bytes, pair);
  const checksumValid = sum === undefined ? null : sum === 0;
  if (sum !== undefined && sum !== 0) w.expected.tcp = correctChecksum(view.checksum, sum);
  const headerLen = Math.max(20, Math.min(hl, bytes.length));
  const payloadLength = hl < 20 ? 0 : Math.max(0, declared - hl);
  w.json.tcp = {
    srcPort: view.srcPort,
    dstPort: view.dstPort,
    seq: view.seq,
    ack: view.ack,
    headerLength: hl,
    flags: tcpFlagsJson(view.flags),
    window: view.window,
    checksum: view.checksum,
    checksumValid,
    urgentPointer: view.urgentPointer,
    payloadLength,
    options: optionList?.options.map(optionJson) ?? [],
  };
  if (checksumValid === false) w.problem('tcp', `TCP checksum 0x${hex4(view.checksum)} is wrong`, at + 16);
  w.span('tcp', at, headerLen);
  if (bytes.length > headerLen) w.span('payload', at + headerLen, bytes.length - headerLen);
}

function udp(w: Walk, at: number, bytes: Uint8Array, declared: number, pair: IpAddressPair | undefined): void {
  w.protocol = 'UDP';
  const view = new UdpPacket(bytes);
  if (bytes.length < 8) {
    w.problem('udp', `UDP header cut off: ${bytes.length} of 8 bytes captured`, at + bytes.length);
    w.span('data', at, bytes.length);
    return;
  }
  const absent = view.checksum === 0 && pair !== undefined && typeof pair.src === 'number';
  const sum = pair === undefined || absent ? undefined : udpChecksum(bytes, pair);
  const checksumValid = sum === undefined ? null : sum === 0;
  if (sum !== undefined && sum !== 0) w.expected.udp = correctChecksum(view.checksum, sum);
  w.json.udp = {
    srcPort: view.srcPort,
    dstPort: view.dstPort,
    length: view.length,
    checksum: view.checksum,
    checksumValid,
    payloadLength: Math.max(0, declared - 8),
  };
  if (view.length !== declared) w.problem('udp', `UDP length ${view.length} differs from the IP payload length ${declared}`, at + 4);
  if (checksumValid === false) w.problem('udp', `UDP checksum 0x${hex4(view.checksum)} is wrong`, at + 6);
  w.span('udp', at, 8);
  if (bytes.length > 8) w.span('payload', at + 8, bytes.length - 8);
}

function icmp(w: Walk, version: 4 | 6, at: number, bytes: Uint8Array, pair: IpAddressPair | undefined): void {
  w.protocol = version === 4 ? 'ICMP' : 'ICMPv6';
  if (bytes.length < 4) {
    w.problem('icmp', `ICMP header cut off: ${bytes.length} bytes captured`, at + bytes.length);
    w.span('data', at, bytes.length);
    return;
  }
  const view = version === 4 ? new Icmpv4Packet(bytes) : new Icmpv6Packet(bytes);
  // ICMPv4 sums the message alone; ICMPv6 adds the pseudo-header (RFC 4443 2.3).
  const sum = pair === undefined ? undefined : version === 4 ? internetChecksum(bytes) : icmpv6Checksum(bytes, pair);
  const checksumValid = sum === undefined ? null : sum === 0;
  if (sum !== undefined && sum !== 0) w.expected.icmp = correctChecksum(view.checksum, sum);
  w.json.icmp = {
    version,
    type: view.type,
    code: view.code,
    name: (version === 4 ? icmpv4TypeName(view.type) : icmpv6TypeName(view.type)) ?? `type ${view.type}`,
    checksum: view.checksum,
    checksumValid,
  };
  if (checksumValid === false) w.problem('icmp', `ICMP checksum 0x${hex4(view.checksum)} is wrong`, at + 2);
  w.span('icmp', at, Math.min(8, bytes.length));
  if (bytes.length > 8) w.span('payload', at + 8, bytes.length - 8);
}
