/**
 * The field tree of a dissected frame, the `-V` view of `synack decode` and the middle pane of the
 * UI: one node per header field with its label, its value as the seeds print it (decimal and hex,
 * `Sequence Number = 8221822 (0x7D747E)`), and the bytes it occupies in the frame, so that a viewer
 * can highlight a field's bytes and map a byte back to its field.
 *
 * Invariant: every node's [offset, offset+length) lies inside the frame's captured bytes and inside
 * its layer's span. Browser-safe.
 */
import { SLL2_FIELDS, SLL_FIELDS, NULL_FIELDS } from '../capture/linktype.js';
import type { FieldSpec } from '../wire/bytes.js';
import {
  ARP_FIELDS,
  ETHERNET_FIELDS,
  etherTypeName,
  formatMac,
  ICMP_FIELDS,
  IPV4_FIELDS,
  IPV6_FIELDS,
  ipProtocolName,
  parseIpv4Options,
  TCP_FIELDS,
  TcpPacket,
  UDP_FIELDS,
  vlanTagOffset,
} from '../wire/index.js';
import type { Dissection, LayerSpan } from './dissect.js';
import { portName } from './ports.js';
import { tcpFlagLetters } from './summary.js';

export interface FieldNode {
  readonly label: string;
  /** The value as text; empty for a pure group node. */
  readonly value: string;
  /** Byte offset in the frame. */
  readonly offset: number;
  readonly length: number;
  /** 'good' or 'bad' for checksums. */
  readonly status?: 'good' | 'bad' | 'unverified';
  readonly children?: readonly FieldNode[];
}

export interface TreeLayer {
  readonly layer: LayerSpan['layer'] | 'frame';
  /** The short prefix the seeds put before every line of a layer ("TCP", "IP", "ETHERNET"). */
  readonly prefix: string;
  readonly title: string;
  readonly offset: number;
  readonly length: number;
  readonly fields: readonly FieldNode[];
}

/** `8221822 (0x7D747E)`: decimal and upper-case hex, as the seeds print numbers. */
export function decHex(n: number, digits = 1): string {
  return `${n} (0x${n.toString(16).toUpperCase().padStart(digits, '0')})`;
}

function hex(n: number, digits: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(digits, '0')}`;
}

function at(base: number, spec: FieldSpec): { offset: number; length: number } {
  return { offset: base + spec[0], length: spec[1] };
}

function node(label: string, value: string, place: { offset: number; length: number }, extra: Partial<FieldNode> = {}): FieldNode {
  return { label, value, offset: place.offset, length: place.length, ...extra };
}

function checksumNode(label: string, value: number, valid: boolean | null, place: { offset: number; length: number }, expected?: number): FieldNode {
  const status = valid === null ? 'unverified' : valid ? 'good' : 'bad';
  const text =
    valid === null ? `${hex(value, 4)} [not verified]` : valid ? `${hex(value, 4)} [good]` : `${hex(value, 4)} [BAD${expected !== undefined ? `, should be ${hex(expected, 4)}` : ''}]`;
  return node(label, text, place, { status });
}

export function fieldTree(d: Dissection): TreeLayer[] {
  const j = d.json;
  const layers: TreeLayer[] = [
    {
      layer: 'frame',
      prefix: 'FRAME',
      title: `Frame ${j.frame}: ${j.originalLength} bytes on the wire, ${j.capturedLength} captured`,
      offset: 0,
      length: d.data.length,
      fields: [
        node('Arrival Time', `${j.time.toFixed(6)} s since the epoch`, { offset: 0, length: 0 }),
        node('Frame Length', `${j.originalLength}`, { offset: 0, length: 0 }),
        node('Capture Length', `${j.capturedLength}`, { offset: 0, length: 0 }),
        node('Link Type', `${j.linkType}`, { offset: 0, length: 0 }),
      ],
    },
  ];
  for (const span of d.spans) {
    const t = layerTree(d, span);
    if (t !== undefined) layers.push(t);
  }
  return layers;
}

function layerTree(d: Dissection, span: LayerSpan): TreeLayer | undefined {
  const j = d.json;
  const b = span.offset;
  const base = { layer: span.layer, offset: span.offset, length: span.length };
  switch (span.layer) {
    case 'link': {
      const l = j.link;
      if (l === undefined) return undefined;
      const table = l.type === 'null' ? NULL_FIELDS : l.type === 'sll' ? SLL_FIELDS : SLL2_FIELDS;
      const fields = Object.entries(table).map(([name, spec]) => node(name, fieldText(d.data, b, spec as FieldSpec), at(b, spec as FieldSpec)));
      return { ...base, prefix: l.type.toUpperCase(), title: `Link header (${l.type})`, fields };
    }
    case 'ethernet': {
      const e = j.ethernet;
      if (e === undefined) return undefined;
      const fields: FieldNode[] = [
        node('Destination Address', e.dst, at(b, ETHERNET_FIELDS.dst)),
        node('Source Address', e.src, at(b, ETHERNET_FIELDS.src)),
      ];
      (e.vlan ?? []).forEach((v, i) => {
        const off = b + vlanTagOffset(i);
        fields.push(
          node(`VLAN Tag ${i + 1}`, `ID ${v.vid}, priority ${v.pcp}${v.dei ? ', drop eligible' : ''}`, { offset: off, length: 4 }, {
            children: [node('TPID', hex(v.tpid, 4), { offset: off, length: 2 }), node('VLAN ID', decHex(v.vid), { offset: off + 2, length: 2 })],
          }),
        );
      });
      const etOff = span.offset + span.length - 2;
      fields.push(node('Ethernet Type', `${etherTypeName(e.etherType) ?? 'unknown'} (${hex(e.etherType, 4)})`, { offset: etOff, length: 2 }));
      return { ...base, prefix: 'ETHERNET', title: `Ethernet II, ${e.src} -> ${e.dst}`, fields };
    }
    case 'arp': {
      const a = j.arp;
      if (a === undefined) return undefined;
      const op = a.operation === 1 ? 'request' : a.operation === 2 ? 'reply' : `operation ${a.operation}`;
      return {
        ...base,
        prefix: 'ARP',
        title: `ARP ${op}: ${a.operation === 1 ? `who has ${a.targetIp}? tell ${a.senderIp}` : `${a.senderIp} is at ${a.senderMac}`}`,
        fields: [
          node('Hardware Type', decHex(a.hardwareType), at(b, ARP_FIELDS.hardwareType)),
          node('Protocol Type', hex(a.protocolType, 4), at(b, ARP_FIELDS.protocolType)),
          node('Operation', `${op} (${a.operation})`, at(b, ARP_FIELDS.operation)),
          node('Sender Hardware Address', a.senderMac, { offset: b + 8, length: 6 }),
          node('Sender Protocol Address', a.senderIp, { offset: b + 14, length: 4 }),
          node('Target Hardware Address', a.targetMac, { offset: b + 18, length: 6 }),
          node('Target Protocol Address', a.targetIp, { offset: b + 24, length: 4 }),
        ],
      };
    }
    case 'ipv4': {
      const ip = j.ipv4;
      if (ip === undefined) return undefined;
      const flagsByte = d.data[b + 6] ?? 0;
      const fields: FieldNode[] = [
        node('Version', '4', { offset: b, length: 1 }),
        node('Header Length', decHex(ip.headerLength), at(b, IPV4_FIELDS.ihl ?? [0, 1])),
        node('Differentiated Services', `DSCP ${ip.dscp}, ECN ${ip.ecn}`, { offset: b + 1, length: 1 }),
        node('Total Length', decHex(ip.totalLength), at(b, IPV4_FIELDS.totalLength)),
        node('Identification', decHex(ip.identification), at(b, IPV4_FIELDS.identification)),
        node('Flags', hex(flagsByte >> 5, 1), { offset: b + 6, length: 1 }, {
          children: [
            node(ip.dontFragment ? '.1. = Do not fragment' : '.0. = May fragment', '', { offset: b + 6, length: 1 }),
            node(ip.moreFragments ? '..1 = More fragments' : '..0 = Last fragment', '', { offset: b + 6, length: 1 }),
          ],
        }),
        node('Fragment Offset', `${ip.fragmentOffset} bytes`, { offset: b + 6, length: 2 }),
        node('Time to Live', decHex(ip.ttl), at(b, IPV4_FIELDS.ttl)),
        node('Protocol', `${ipProtocolName(ip.protocol)?.toUpperCase() ?? 'unknown'} (${ip.protocol})`, at(b, IPV4_FIELDS.protocol)),
        checksumNode('Header Checksum', ip.checksum, ip.checksumValid, at(b, IPV4_FIELDS.checksum), d.expected.ipv4),
        node('Source Address', ip.src, at(b, IPV4_FIELDS.src)),
        node('Destination Address', ip.dst, at(b, IPV4_FIELDS.dst)),
      ];
      if (ip.headerLength > 20) {
        const opts = parseIpv4Options(d.data.subarray(b + 20, b + ip.headerLength));
        fields.push(
          node('Options', `${ip.headerLength - 20} bytes`, { offset: b + 20, length: ip.headerLength - 20 }, {
            children: opts.options.map((o) => node(o.name, `type ${o.type}, length ${o.length}`, { offset: b + o.offset, length: o.length })),
          }),
        );
      }
      return { ...base, prefix: 'IP', title: `Internet Protocol version 4, ${ip.src} -> ${ip.dst}`, fields };
    }
    case 'ipv6': {
      const ip = j.ipv6;
      if (ip === undefined) return undefined;
      const fields: FieldNode[] = [
        node('Version', '6', { offset: b, length: 1 }),
        node('Traffic Class', hex(ip.trafficClass, 2), { offset: b, length: 2 }),
        node('Flow Label', hex(ip.flowLabel, 5), { offset: b + 1, length: 3 }),
        node('Payload Length', decHex(ip.payloadLength), at(b, IPV6_FIELDS.payloadLength)),
        node('Next Header', `${ipProtocolName(ip.nextHeader) ?? 'unknown'} (${ip.nextHeader})`, at(b, IPV6_FIELDS.nextHeader)),
        node('Hop Limit', decHex(ip.hopLimit), at(b, IPV6_FIELDS.hopLimit)),
        node('Source Address', ip.src, at(b, IPV6_FIELDS.src)),
        node('Destination Address', ip.dst, at(b, IPV6_FIELDS.dst)),
      ];
      let off = b + 40;
      for (const h of ip.extensionHeaders) {
        const len = Math.min(h.length, span.offset + span.length - off);
        if (len <= 0) break;
        fields.push(node(`Extension Header: ${h.name}`, `type ${h.type}, ${h.length} bytes`, { offset: off, length: len }));
        off += h.length;
      }
      if (ip.fragment !== undefined) {
        const f = ip.fragment;
        fields.push(node('Fragment', `offset ${f.offset}, ${f.moreFragments ? 'more fragments' : 'last fragment'}, id ${hex(f.identification, 8)}`, { offset: b + 40, length: 0 }));
      }
      return { ...base, prefix: 'IPV6', title: `Internet Protocol version 6, ${ip.src} -> ${ip.dst}`, fields };
    }
    case 'tcp':
      return tcpTree(d, span);
    case 'udp': {
      const u = j.udp;
      if (u === undefined) return undefined;
      return {
        ...base,
        prefix: 'UDP',
        title: `User Datagram Protocol, ${u.srcPort} -> ${u.dstPort}, ${u.payloadLength} bytes`,
        fields: [
          node('Source Port', portText(u.srcPort, 'udp'), at(b, UDP_FIELDS.srcPort)),
          node('Destination Port', portText(u.dstPort, 'udp'), at(b, UDP_FIELDS.dstPort)),
          node('Length', decHex(u.length), at(b, UDP_FIELDS.length)),
          checksumNode('Checksum', u.checksum, u.checksumValid, at(b, UDP_FIELDS.checksum), d.expected.udp),
        ],
      };
    }
    case 'icmp': {
      const c = j.icmp;
      if (c === undefined) return undefined;
      return {
        ...base,
        prefix: c.version === 4 ? 'ICMP' : 'ICMPV6',
        title: `${c.version === 4 ? 'ICMP' : 'ICMPv6'} ${c.name}`,
        fields: [
          node('Type', `${c.type} (${c.name})`, at(b, ICMP_FIELDS.type)),
          node('Code', `${c.code}`, at(b, ICMP_FIELDS.code)),
          checksumNode('Checksum', c.checksum, c.checksumValid, at(b, ICMP_FIELDS.checksum), d.expected.icmp),
        ],
      };
    }
    case 'payload':
      return { ...base, prefix: 'DATA', title: `Data: ${span.length} bytes`, fields: [] };
    case 'padding':
      return { ...base, prefix: 'PAD', title: `Frame Padding: ${span.length} bytes`, fields: [] };
    case 'data':
      return { ...base, prefix: 'DATA', title: `Undecoded: ${span.length} bytes`, fields: [] };
  }
}

function fieldText(data: Uint8Array, base: number, spec: FieldSpec): string {
  const [off, len] = spec;
  const bytes = data.subarray(base + off, base + off + len);
  if (len > 4) return formatMac(bytes);
  let v = 0;
  for (const x of bytes) v = v * 256 + x;
  return decHex(v);
}

function portText(port: number, proto: 'tcp' | 'udp'): string {
  const name = portName(port, proto);
  return `${port} (${hex(port, 4)})${name !== undefined ? ` ${name}` : ''}`;
}

const FLAG_BITS: readonly [number, string, string, string][] = [
  // [bit, pattern position letter, set text, clear text] in the seeds' wording.
  [0x100, 'AE', 'Accurate ECN', 'No Accurate ECN'],
  [0x080, 'CWR', 'Congestion Window Reduced', 'No Congestion Window Reduced'],
  [0x040, 'ECE', 'ECN-Echo', 'No ECN-Echo'],
  [0x020, 'URG', 'Urgent pointer field significant', 'No urgent data'],
  [0x010, 'ACK', 'Acknowledgement field significant', 'Acknowledgement field not significant'],
  [0x008, 'PSH', 'Push function', 'No Push function'],
  [0x004, 'RST', 'Reset the connection', 'No Reset'],
  [0x002, 'SYN', 'Synchronize sequence numbers', 'No Synchronize'],
  [0x001, 'FIN', 'No more data from sender', 'No Fin'],
];

function tcpTree(d: Dissection, span: LayerSpan): TreeLayer | undefined {
  const t = d.json.tcp;
  if (t === undefined) return undefined;
  const b = span.offset;
  const view = new TcpPacket(d.data.subarray(b, b + span.length));
  const flags = view.flags;
  const flagNodes = FLAG_BITS.map(([bit, , on, off], i) => {
    const pattern = '.'.repeat(i) + ((flags & bit) !== 0 ? '1' : '0') + '.'.repeat(FLAG_BITS.length - 1 - i);
    return node(`${pattern} = ${(flags & bit) !== 0 ? on : off}`, '', { offset: b + (bit === 0x100 ? 12 : 13), length: 1 });
  });
  const fields: FieldNode[] = [
    node('Source Port', portText(t.srcPort, 'tcp'), at(b, TCP_FIELDS.srcPort)),
    node('Destination Port', portText(t.dstPort, 'tcp'), at(b, TCP_FIELDS.dstPort)),
    node('Sequence Number', decHex(t.seq), at(b, TCP_FIELDS.seq)),
    node('Acknowledgement Number', decHex(t.ack), at(b, TCP_FIELDS.ack)),
    node('Data Offset', `${decHex(t.headerLength)} bytes, ${t.headerLength / 4} words`, { offset: b + 12, length: 1 }),
    node('Reserved', hex(view.reserved, 1), { offset: b + 12, length: 1 }),
    node('Flags', `${hex(flags, 3)} : ${tcpFlagLetters(flags)}`, { offset: b + 12, length: 2 }, { children: flagNodes }),
    node('Window', decHex(t.window), at(b, TCP_FIELDS.window)),
    checksumNode('Checksum', t.checksum, t.checksumValid, at(b, TCP_FIELDS.checksum), d.expected.tcp),
    node('Urgent Pointer', decHex(t.urgentPointer), at(b, TCP_FIELDS.urgentPointer)),
  ];
  if (t.headerLength > 20 && span.length > 20) {
    const list = view.options;
    const optionNodes = list.options.map((o, i) => {
      const off = b + (list.offsets[i] ?? 20);
      const len = o.kind <= 1 ? 1 : (d.data[off + 1] ?? 1);
      const kindNode = node(`Option Kind (${optionTitle(o.kind)})`, decHex(o.kind), { offset: off, length: 1 });
      if (o.kind <= 1) return kindNode;
      const children = [node('Option Length', decHex(len), { offset: off + 1, length: 1 })];
      const value = { offset: off + 2, length: Math.max(0, len - 2) };
      switch (o.name) {
        case 'mss':
          children.push(node('Option Value', decHex(o.mss), value));
          break;
        case 'wscale':
          children.push(node('Shift Count', `${o.shift} (multiply by ${2 ** o.shift})`, value));
          break;
        case 'timestamps':
          children.push(node('Timestamp Value', decHex(o.tsval), { offset: off + 2, length: 4 }), node('Timestamp Echo Reply', decHex(o.tsecr), { offset: off + 6, length: 4 }));
          break;
        case 'sack':
          o.blocks.forEach((blk, k) => children.push(node(`Block ${k + 1}`, `${blk.left}-${blk.right}`, { offset: off + 2 + 8 * k, length: 8 })));
          break;
        case 'unknown':
          if (len > 2) children.push(node('Option Data', `${len - 2} bytes`, value));
          break;
        default:
          break;
      }
      return node(`Option Kind (${optionTitle(o.kind)})`, decHex(o.kind), { offset: off, length: len }, { children: [kindNode, ...children].slice(1) });
    });
    if (list.error !== undefined) optionNodes.push(node('Malformed option', list.error.message, { offset: b + list.error.offset, length: 1 }, { status: 'bad' }));
    fields.push(node('Options', `${t.headerLength - 20} bytes`, { offset: b + 20, length: Math.min(t.headerLength, span.length) - 20 }, { children: optionNodes }));
  }
  const title = `${tcpFlagLetters(flags)}, len: ${t.payloadLength}, seq: ${t.seq}, ack: ${t.ack}, win: ${t.window}, src: ${t.srcPort} dst: ${t.dstPort}`;
  return { layer: 'tcp', prefix: 'TCP', title, offset: span.offset, length: span.length, fields };
}

const OPTION_TITLES: Readonly<Record<number, string>> = {
  0: 'End of Option List',
  1: 'No-Operation',
  2: 'Maximum Segment Size',
  3: 'Window Scale',
  4: 'SACK Permitted',
  5: 'SACK',
  8: 'Timestamps',
  19: 'MD5 Signature',
  28: 'User Timeout',
  29: 'TCP-AO',
  30: 'Multipath TCP',
  34: 'TCP Fast Open',
  253: 'Experimental',
  254: 'Experimental',
};

function optionTitle(kind: number): string {
  return OPTION_TITLES[kind] ?? 'Unknown';
}

/** Render the tree as the seeds print it: `TCP: Sequence Number = 8221822 (0x7D747E)`. */
export function treeLines(layers: readonly TreeLayer[]): string[] {
  const out: string[] = [];
  const walk = (prefix: string, n: FieldNode, depth: number): void => {
    out.push(`${prefix}: ${'   '.repeat(depth)}${n.label}${n.value !== '' ? ` = ${n.value}` : ''}`);
    for (const c of n.children ?? []) walk(prefix, c, depth + 1);
  };
  for (const l of layers) {
    out.push(`${l.prefix}: ${l.title}`);
    for (const f of l.fields) walk(l.prefix, f, 1);
  }
  return out;
}
