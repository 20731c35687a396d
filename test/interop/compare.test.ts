/**
 * The tshark/synack comparator on hand-written frames: tshark rows as tshark 4.0.17 printed them for
 * the kernel captures (fixture frames and a fragment and a SACK frame from the scenarios), and the
 * `decode --json` objects the spec requires for those same bytes, written out by hand. The
 * comparator must accept the faithful decode and name the field of every kind of wrong one.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compareCapture, compareFrame, expectedLayers, type Mismatch } from './compare.js';
import { TSHARK_FIELDS, type TsharkField, type TsharkFrame } from './tshark.js';

function row(fields: Partial<Record<TsharkField, readonly string[]>>): TsharkFrame {
  const r = {} as Record<TsharkField, readonly string[]>;
  for (const f of TSHARK_FIELDS) r[f] = fields[f] ?? [];
  return r;
}

const FLAGS_OFF = { fin: false, syn: false, rst: false, psh: false, ack: false, urg: false, ece: false, cwr: false, ae: false };

// ipv4-transfer.pcap frame 3: 192.0.2.1.40001 > 192.0.2.2.5201: Flags [S], seq 284767980, win 64240,
// options [mss 1460,sackOK,TS val 1989037592 ecr 0,nop,wscale 10]
const SYN_ROW = row({
  'frame.number': ['3'], 'frame.protocols': ['eth:ethertype:ip:tcp'], 'frame.time_epoch': ['1795256347.434855000'],
  'frame.len': ['74'], 'frame.cap_len': ['74'],
  'eth.src': ['02:53:4b:00:00:0a'], 'eth.dst': ['02:53:4b:00:00:0b'], 'eth.type': ['0x0800'],
  'ip.src': ['192.0.2.1'], 'ip.dst': ['192.0.2.2'], 'ip.ttl': ['64'], 'ip.id': ['0x50c2'], 'ip.flags.df': ['1'],
  'ip.flags.mf': ['0'], 'ip.frag_offset': ['0'], 'ip.proto': ['6'], 'ip.hdr_len': ['20'], 'ip.len': ['60'],
  'ip.checksum': ['0x65f6'], 'ip.checksum.status': ['1'],
  'tcp.srcport': ['40001'], 'tcp.dstport': ['5201'], 'tcp.seq_raw': ['284767980'], 'tcp.ack_raw': ['0'],
  'tcp.hdr_len': ['40'], 'tcp.flags': ['0x0002'], 'tcp.window_size_value': ['64240'], 'tcp.checksum': ['0x0bea'],
  'tcp.checksum.status': ['1'], 'tcp.urgent_pointer': ['0'], 'tcp.len': ['0'], 'tcp.option_kind': ['2', '4', '8', '1', '3'],
  'tcp.options.mss_val': ['1460'], 'tcp.options.wscale.shift': ['10'], 'tcp.options.timestamp.tsval': ['1989037592'],
  'tcp.options.timestamp.tsecr': ['0'],
});
const SYN_JSON = {
  frame: 3, time: 1795256347.434855, capturedLength: 74, originalLength: 74,
  ethernet: { src: '02:53:4b:00:00:0a', dst: '02:53:4b:00:00:0b', etherType: 0x0800 },
  ipv4: { src: '192.0.2.1', dst: '192.0.2.2', ttl: 64, identification: 0x50c2, dontFragment: true, moreFragments: false,
    fragmentOffset: 0, protocol: 6, headerLength: 20, totalLength: 60, checksum: 0x65f6, checksumValid: true },
  tcp: { srcPort: 40001, dstPort: 5201, seq: 284767980, ack: 0, headerLength: 40, flags: { ...FLAGS_OFF, syn: true },
    window: 64240, checksum: 0x0bea, checksumValid: true, urgentPointer: 0, payloadLength: 0,
    options: [
      { kind: 2, name: 'mss', mss: 1460 }, { kind: 4, name: 'sackPermitted' },
      { kind: 8, name: 'timestamps', tsval: 1989037592, tsecr: 0 }, { kind: 1, name: 'nop' }, { kind: 3, name: 'wscale', shift: 10 },
    ] },
};

// ipv6-half-close.pcap frame 8: the client's FIN, flow label 0x0d08db.
const FIN6_ROW = row({
  'frame.number': ['8'], 'frame.protocols': ['eth:ethertype:ipv6:tcp'], 'frame.time_epoch': ['1795256348.778496000'],
  'frame.len': ['86'], 'frame.cap_len': ['86'],
  'eth.src': ['02:53:4b:00:00:0a'], 'eth.dst': ['02:53:4b:00:00:0b'], 'eth.type': ['0x86dd'],
  'ipv6.src': ['2001:db8:0:1::1'], 'ipv6.dst': ['2001:db8:0:1::2'], 'ipv6.hlim': ['64'], 'ipv6.flow': ['0x0d08db'],
  'ipv6.tclass': ['0x00000000'], 'ipv6.nxt': ['6'], 'ipv6.plen': ['32'],
  'tcp.srcport': ['40001'], 'tcp.dstport': ['5201'], 'tcp.seq_raw': ['1721944493'], 'tcp.ack_raw': ['1729379931'],
  'tcp.hdr_len': ['32'], 'tcp.flags': ['0x0011'], 'tcp.window_size_value': ['64'], 'tcp.checksum': ['0x9b26'],
  'tcp.checksum.status': ['1'], 'tcp.urgent_pointer': ['0'], 'tcp.len': ['0'], 'tcp.option_kind': ['1', '1', '8'],
  'tcp.options.timestamp.tsval': ['3424336326'], 'tcp.options.timestamp.tsecr': ['617008868'],
});
const FIN6_JSON = {
  frame: 8, time: 1795256348.778496, capturedLength: 86, originalLength: 86,
  ethernet: { src: '02:53:4b:00:00:0a', dst: '02:53:4b:00:00:0b', etherType: 0x86dd },
  ipv6: { src: '2001:db8:0:1::1', dst: '2001:db8:0:1::2', hopLimit: 64, flowLabel: 0x0d08db, trafficClass: 0, nextHeader: 6,
    payloadLength: 32 },
  tcp: { srcPort: 40001, dstPort: 5201, seq: 1721944493, ack: 1729379931, headerLength: 32,
    flags: { ...FLAGS_OFF, fin: true, ack: true }, window: 64, checksum: 0x9b26, checksumValid: true, urgentPointer: 0,
    payloadLength: 0,
    options: [{ kind: 1, name: 'nop' }, { kind: 1, name: 'nop' }, { kind: 8, name: 'timestamps', tsval: 3424336326, tsecr: 617008868 }] },
};

// udp-fragments (IPv4) frame 4: the second fragment, 1480 bytes into the datagram.
const FRAG_ROW = row({
  'frame.number': ['4'], 'frame.protocols': ['eth:ethertype:ip:data'], 'frame.time_epoch': ['1795256212.792263000'],
  'frame.len': ['1514'], 'frame.cap_len': ['1514'],
  'eth.src': ['02:53:4b:00:00:0a'], 'eth.dst': ['02:53:4b:00:00:0b'], 'eth.type': ['0x0800'],
  'ip.src': ['192.0.2.1'], 'ip.dst': ['192.0.2.2'], 'ip.ttl': ['64'], 'ip.id': ['0x216d'], 'ip.flags.df': ['0'],
  'ip.flags.mf': ['1'], 'ip.frag_offset': ['185'], 'ip.proto': ['17'], 'ip.hdr_len': ['20'], 'ip.len': ['1500'],
  'ip.checksum': ['0xaee7'], 'ip.checksum.status': ['1'],
});
const FRAG_JSON = {
  frame: 4, time: 1795256212.792263, capturedLength: 1514, originalLength: 1514,
  ethernet: { src: '02:53:4b:00:00:0a', dst: '02:53:4b:00:00:0b', etherType: 0x0800 },
  ipv4: { src: '192.0.2.1', dst: '192.0.2.2', ttl: 64, identification: 0x216d, dontFragment: false, moreFragments: true,
    fragmentOffset: 1480, protocol: 17, headerLength: 20, totalLength: 1500, checksum: 0xaee7, checksumValid: true },
};

// loss scenario frame 77: a duplicate ACK with two SACK blocks (raw edges).
const SACK_ROW = row({
  'frame.number': ['77'], 'frame.protocols': ['eth:ethertype:ip:tcp'], 'frame.time_epoch': ['1795256212.010157000'],
  'frame.len': ['86'], 'frame.cap_len': ['86'],
  'eth.src': ['02:53:4b:00:00:0b'], 'eth.dst': ['02:53:4b:00:00:0a'], 'eth.type': ['0x0800'],
  'ip.src': ['192.0.2.2'], 'ip.dst': ['192.0.2.1'], 'ip.ttl': ['64'], 'ip.id': ['0x2c67'], 'ip.flags.df': ['1'],
  'ip.flags.mf': ['0'], 'ip.frag_offset': ['0'], 'ip.proto': ['6'], 'ip.hdr_len': ['20'], 'ip.len': ['72'],
  'ip.checksum': ['0x8a45'], 'ip.checksum.status': ['1'],
  'tcp.srcport': ['5201'], 'tcp.dstport': ['40001'], 'tcp.seq_raw': ['2579202463'], 'tcp.ack_raw': ['2463724681'],
  'tcp.hdr_len': ['52'], 'tcp.flags': ['0x0010'], 'tcp.window_size_value': ['64'], 'tcp.checksum': ['0x84a1'],
  'tcp.checksum.status': ['1'], 'tcp.urgent_pointer': ['0'], 'tcp.len': ['0'], 'tcp.option_kind': ['1', '1', '8', '1', '1', '5'],
  'tcp.options.sack_le': ['2463744953', '2463726129'], 'tcp.options.sack_re': ['2463749297', '2463743505'],
  'tcp.options.timestamp.tsval': ['1347167322'], 'tcp.options.timestamp.tsecr': ['1988902168'],
});
const SACK_JSON = {
  frame: 77, time: 1795256212.010157, capturedLength: 86, originalLength: 86,
  ethernet: { src: '02:53:4b:00:00:0b', dst: '02:53:4b:00:00:0a', etherType: 0x0800 },
  ipv4: { src: '192.0.2.2', dst: '192.0.2.1', ttl: 64, identification: 0x2c67, dontFragment: true, moreFragments: false,
    fragmentOffset: 0, protocol: 6, headerLength: 20, totalLength: 72, checksum: 0x8a45, checksumValid: true },
  tcp: { srcPort: 5201, dstPort: 40001, seq: 2579202463, ack: 2463724681, headerLength: 52, flags: { ...FLAGS_OFF, ack: true },
    window: 64, checksum: 0x84a1, checksumValid: true, urgentPointer: 0, payloadLength: 0,
    options: [
      { kind: 1, name: 'nop' }, { kind: 1, name: 'nop' }, { kind: 8, name: 'timestamps', tsval: 1347167322, tsecr: 1988902168 },
      { kind: 1, name: 'nop' }, { kind: 1, name: 'nop' },
      { kind: 5, name: 'sack', blocks: [{ left: 2463744953, right: 2463749297 }, { left: 2463726129, right: 2463743505 }] },
    ] },
};

/** A deep copy of `obj` with `path` set to `value` (undefined deletes). */
function withField(obj: object, path: string, value: unknown): object {
  const copy = structuredClone(obj) as Record<string, unknown>;
  const keys = path.split('.');
  let cur: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) cur = cur[k] as Record<string, unknown>;
  const last = keys[keys.length - 1]!;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
  return copy;
}

const fields = (ms: readonly Mismatch[]): string[] => ms.map((m) => m.field);

describe('a faithful decode', () => {
  for (const [name, r, json] of [
    ['IPv4 SYN with options', SYN_ROW, SYN_JSON],
    ['IPv6 FIN with a flow label', FIN6_ROW, FIN6_JSON],
    ['IPv4 non-first fragment', FRAG_ROW, FRAG_JSON],
    ['duplicate ACK with two SACK blocks', SACK_ROW, SACK_JSON],
  ] as const) {
    test(`agrees with tshark: ${name}`, () => {
      assert.deepEqual(compareFrame(r, json), []);
    });
  }
});

describe('a wrong decode is caught at the field that is wrong', () => {
  test('sequence number off by one', () => {
    assert.deepEqual(fields(compareFrame(SYN_ROW, withField(SYN_JSON, 'tcp.seq', 284767981))), ['tcp.seq']);
  });
  test('fragment offset left in 8-octet units (185 instead of 1480 bytes)', () => {
    assert.deepEqual(fields(compareFrame(FRAG_ROW, withField(FRAG_JSON, 'ipv4.fragmentOffset', 185))), ['ipv4.fragmentOffset']);
  });
  test('SACK edges relative to the ISN instead of raw', () => {
    const rel = withField(SACK_JSON, 'tcp.options', [
      ...SACK_JSON.tcp.options.slice(0, 5),
      { kind: 5, name: 'sack', blocks: [{ left: 20273, right: 24617 }, { left: 1449, right: 18825 }] },
    ]);
    assert.deepEqual(fields(compareFrame(SACK_ROW, rel)), ['tcp.options[sack].blocks[].left', 'tcp.options[sack].blocks[].right']);
  });
  test('SACK blocks out of wire order', () => {
    const swapped = withField(SACK_JSON, 'tcp.options', [
      ...SACK_JSON.tcp.options.slice(0, 5),
      { kind: 5, name: 'sack', blocks: [{ left: 2463726129, right: 2463743505 }, { left: 2463744953, right: 2463749297 }] },
    ]);
    assert.equal(compareFrame(SACK_ROW, swapped).length, 2);
  });
  test('IPv6 address not in RFC 5952 form (zero group compressed alone)', () => {
    assert.deepEqual(fields(compareFrame(FIN6_ROW, withField(FIN6_JSON, 'ipv6.src', '2001:db8::1:0:0:0:1'))), ['ipv6.src']);
    assert.deepEqual(fields(compareFrame(FIN6_ROW, withField(FIN6_JSON, 'ipv6.src', '2001:DB8:0:1::1'))), ['ipv6.src']);
  });
  test('flow label and traffic class swapped', () => {
    const bad = withField(withField(FIN6_JSON, 'ipv6.flowLabel', 0), 'ipv6.trafficClass', 0x0d08db);
    assert.deepEqual(fields(compareFrame(FIN6_ROW, bad)), ['ipv6.flowLabel', 'ipv6.trafficClass']);
  });
  test('a flag bit misread', () => {
    assert.deepEqual(fields(compareFrame(FIN6_ROW, withField(FIN6_JSON, 'tcp.flags.psh', true))), ['tcp.flags.psh']);
    assert.deepEqual(fields(compareFrame(FIN6_ROW, withField(FIN6_JSON, 'tcp.flags.ae', undefined))), ['tcp.flags.ae']);
  });
  test('options: a dropped NOP, a wrong name, a wrong value', () => {
    const noNop = withField(SYN_JSON, 'tcp.options', SYN_JSON.tcp.options.filter((o) => o.kind !== 1));
    assert.deepEqual(fields(compareFrame(SYN_ROW, noNop)), ['tcp.options[].kind']);
    const badName = withField(SYN_JSON, 'tcp.options', SYN_JSON.tcp.options.map((o) => (o.kind === 4 ? { kind: 4, name: 'sack_perm' } : o)));
    assert.deepEqual(fields(compareFrame(SYN_ROW, badName)), ['tcp.options[1].name']);
    const badShift = withField(SYN_JSON, 'tcp.options', SYN_JSON.tcp.options.map((o) => (o.kind === 3 ? { ...o, shift: 7 } : o)));
    assert.deepEqual(fields(compareFrame(SYN_ROW, badShift)), ['tcp.options[wscale].shift']);
  });
  test('a TCP checksum field of 0xffff that tshark calls bad is the one\'s-complement zero when synack verified it', () => {
    const row = { ...SYN_ROW, 'tcp.checksum': ['0xffff'], 'tcp.checksum.status': ['0'] };
    const json = withField(SYN_JSON, 'tcp.checksum', 0xffff);
    assert.deepEqual(fields(compareFrame(row, json)), []);
    // Any other disagreement on that frame is still one.
    assert.deepEqual(fields(compareFrame(row, withField(json, 'tcp.checksumValid', null))), ['tcp.checksumValid']);
    assert.deepEqual(fields(compareFrame({ ...row, 'tcp.checksum': ['0x0bea'] }, withField(SYN_JSON, 'tcp.checksumValid', true))), ['tcp.checksumValid']);
  });
  test('checksum validity: null (not checked) is not true', () => {
    assert.deepEqual(fields(compareFrame(SYN_ROW, withField(SYN_JSON, 'tcp.checksumValid', null))), ['tcp.checksumValid']);
    assert.deepEqual(fields(compareFrame(SYN_ROW, withField(SYN_JSON, 'ipv4.checksumValid', false))), ['ipv4.checksumValid']);
  });
  test('time one microsecond late, lengths swapped', () => {
    assert.deepEqual(fields(compareFrame(SYN_ROW, withField(SYN_JSON, 'time', 1795256347.434856))), ['time']);
    const swapped = withField(withField(FRAG_JSON, 'ipv4.headerLength', 1500), 'ipv4.totalLength', 20);
    assert.deepEqual(fields(compareFrame(FRAG_ROW, swapped)), ['ipv4.headerLength', 'ipv4.totalLength']);
  });
  test('a missing layer and an invented one', () => {
    assert.deepEqual(fields(compareFrame(SYN_ROW, withField(SYN_JSON, 'tcp', undefined))), ['tcp']);
    assert.deepEqual(fields(compareFrame(FRAG_ROW, { ...FRAG_JSON, tcp: SYN_JSON.tcp })), ['tcp']);
    assert.deepEqual(fields(compareFrame(FIN6_ROW, { ...FIN6_JSON, ipv4: SYN_JSON.ipv4 })), ['ipv4']);
  });
  test('a missing frame and a frame count that differs', () => {
    const r = compareCapture([SYN_ROW, FRAG_ROW], [SYN_JSON]);
    assert.deepEqual(fields(r.mismatches), ['frame count', 'frame']);
  });
});

describe('layers expected from tshark frame.protocols', () => {
  test('TCP directly over IP, or over IPv6 extension headers, is a TCP layer', () => {
    assert.deepEqual(expectedLayers('eth:ethertype:ip:tcp'), { ethernet: true, ipv4: true, ipv6: false, tcp: true });
    assert.deepEqual(expectedLayers('eth:ethertype:ipv6:ipv6.hopopts:tcp:data'), { ethernet: true, ipv4: false, ipv6: true, tcp: true });
  });
  test('TCP quoted inside an ICMP error is not the frame\'s TCP layer', () => {
    assert.deepEqual(expectedLayers('eth:ethertype:ip:icmp:ip:tcp'), { ethernet: true, ipv4: true, ipv6: false, tcp: false });
  });
  test('ARP has only the Ethernet layer', () => {
    assert.deepEqual(expectedLayers('eth:ethertype:arp'), { ethernet: true, ipv4: false, ipv6: false, tcp: false });
  });
});
