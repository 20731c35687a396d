import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import {
  TCP_FIELDS,
  TCP_FLAG_FIELDS,
  TcpFlag,
  type TcpOption,
  type TcpRepr,
  TcpPacket,
  buildTcpOptions,
  emitTcp,
  emitTcpOptions,
  findMss,
  findSackBlocks,
  findTimestamps,
  findWindowScale,
  hasSackPermitted,
  parseTcp,
  parseTcpOptions,
  tcpBufferLength,
  tcpChecksum,
  tcpFlagsToString,
  tcpHeaderLength,
  tcpSegmentLength,
  tcpToString,
} from '../../src/wire/tcp.js';
import { EthernetFrame } from '../../src/wire/ethernet.js';
import { Ipv4Packet, parseIpv4 } from '../../src/wire/ipv4.js';
import { Ipv6Packet, ipv6PseudoHeaderAddresses, parseIpv6, walkIpv6Chain } from '../../src/wire/ipv6.js';
import { readField } from '../../src/wire/bytes.js';
import { WireErrorCode } from '../../src/wire/result.js';
import type { IpAddressPair } from '../../src/wire/ip.js';
import {
  atOffset,
  fixture,
  hex,
  linuxFrames,
  num,
  prefilled,
  seedFrames,
  seedHexDumps,
  toHexString,
  truth,
  values,
} from './helpers.js';

/** Frame 1 of the seed, as printed in the KB 172983 article's hex dump. */
const FRAME1 = hex(`
  02 60 8C 9E 18 8B 02 60 8C 3B 85 C1 08 00 45 00
  00 2C 0D 01 40 00 80 06 E1 4B 83 6B 02 D6 83 6B
  02 D3 04 0D 00 8B 00 7D 74 7E 00 00 00 00 60 02
  20 00 F2 13 00 00 02 04 05 B4 20 20`);

/** The TCP segment and IP addresses inside an Ethernet frame (IPv4 or IPv6, any extension chain). */
function segmentOf(frame: Uint8Array): { seg: Uint8Array; ip: IpAddressPair } {
  const eth = new EthernetFrame(frame);
  assert.equal(eth.check(), undefined);
  if (eth.etherType === 0x0800) {
    const ip = new Ipv4Packet(eth.payload);
    const r = parseIpv4(ip);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    return { seg: ip.payload, ip: r.value };
  }
  const ip = new Ipv6Packet(eth.payload);
  const r = parseIpv6(ip);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  const chain = walkIpv6Chain(ip);
  assert.equal(chain.error, undefined);
  return { seg: ip.bytes.subarray(chain.upperOffset, chain.upperOffset + chain.upperLength), ip: ipv6PseudoHeaderAddresses(r.value, chain) };
}

function parsed(frame: Uint8Array): { repr: TcpRepr; view: TcpPacket; ip: IpAddressPair } {
  const { seg, ip } = segmentOf(frame);
  const view = new TcpPacket(seg);
  const r = parseTcp(view, ip);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return { repr: r.value, view, ip };
}

describe('the KB 172983 seed capture', () => {
  test('the capture file holds the bytes the article prints (frame 1 hex dump)', () => {
    assert.deepEqual(seedFrames[0], FRAME1);
  });

  test('every hex dump in the German, Swedish and Japanese articles equals the capture frame', (t) => {
    if (!existsSync('/work/shared/seeds')) {
      t.skip('seed documents not available');
      return;
    }
    for (const prefix of ['000_', '001_', '002_']) {
      const dumps = seedHexDumps(prefix);
      assert.equal(dumps.length, 7, prefix);
      dumps.forEach((d, i) => assert.deepEqual(d, seedFrames[i], `${prefix} frame ${i + 1}`));
    }
  });

  test('frame 1 reads ports 1037/139, seq 8221822, ack 0, offset 24, win 8192, checksum f213 valid, MSS 1460', () => {
    const { repr, view, ip } = parsed(FRAME1);
    assert.equal(view.srcPort, 1037);
    assert.equal(view.dstPort, 139);
    assert.equal(view.seq, 8221822);
    assert.equal(view.seq, 0x7d747e);
    assert.equal(view.ack, 0);
    assert.equal(view.headerLength, 24);
    assert.equal(view.flags, TcpFlag.SYN);
    assert.equal(view.window, 8192);
    assert.equal(view.checksum, 0xf213);
    assert.equal(view.urgentPointer, 0);
    assert.ok(view.verifyChecksum(ip));
    assert.deepEqual(repr.options, [{ kind: 2, name: 'mss', mss: 1460 }]);
    // Data offset 6 words = 4 option bytes; the trailing `20 20` is Ethernet padding after IPv4's
    // total length of 44, not TCP payload and not options.
    assert.equal(repr.payload.length, 0);
    assert.equal(view.bytes.length, 24);
  });

  test('all seven frames read as tshark reads them', () => {
    seedFrames.forEach((frame, i) => {
      const t = truth(i + 1);
      const { repr, view } = parsed(frame);
      assert.equal(repr.srcPort, num(t, 'tcp.srcport'), `frame ${i + 1}`);
      assert.equal(repr.dstPort, num(t, 'tcp.dstport'));
      assert.equal(repr.seq, num(t, 'tcp.seq_raw'));
      assert.equal(repr.ack, num(t, 'tcp.ack_raw'));
      assert.equal(view.headerLength, num(t, 'tcp.hdr_len'));
      assert.equal(repr.flags, num(t, 'tcp.flags'));
      assert.equal(repr.window, num(t, 'tcp.window_size_value'));
      assert.equal(view.checksum, num(t, 'tcp.checksum'));
      assert.equal(num(t, 'tcp.checksum.status'), 1, 'tshark: checksum good');
      assert.equal(repr.urgentPointer, num(t, 'tcp.urgent_pointer'));
      assert.equal(repr.payload.length, num(t, 'tcp.len'));
      assert.deepEqual(repr.options.map((o) => o.kind), values(t, 'tcp.option_kind').map(Number));
    });
  });

  test('frames 4 to 7 are the 2337/1352 close, acks read from the bytes', () => {
    // The article's decoded text for frames 4-7 repeats another trace; its hex (= the capture) says:
    const rows = seedFrames.slice(3).map((f) => parsed(f).repr);
    assert.deepEqual(
      rows.map((r) => [r.srcPort, r.dstPort, r.seq, r.ack, tcpFlagsToString(r.flags)]),
      [
        [2337, 1352, 186685100, 3462835714, 'F.'],
        [1352, 2337, 3462835714, 186685101, '.'],
        [1352, 2337, 3462835714, 186685101, 'F.'],
        [2337, 1352, 186685101, 3462835715, '.'],
      ],
    );
  });

  test('frame 6 carries bytes that look like an MSS option in its padding, and they are not options', () => {
    const { repr, view } = parsed(seedFrames[5] as Uint8Array);
    assert.equal(view.headerLength, 20);
    assert.deepEqual(repr.options, []);
    assert.equal(repr.payload.length, 0);
  });

  test('one-line text matches tcpdump -S -nn for every frame', () => {
    // tcpdump 4.99 -r kb172983.pcap -S -nn, addresses removed.
    const expected = [
      '1037 > 139: Flags [S], seq 8221822, win 8192, options [mss 1460], length 0',
      '139 > 1037: Flags [S.], seq 1109645, ack 8221823, win 8760, options [mss 1460], length 0',
      '1037 > 139: Flags [.], ack 1109646, win 8760, length 0',
      '2337 > 1352: Flags [F.], seq 186685100, ack 3462835714, win 8760, length 0',
      '1352 > 2337: Flags [.], ack 186685101, win 28672, length 0',
      '1352 > 2337: Flags [F.], seq 3462835714, ack 186685101, win 28672, length 0',
      '2337 > 1352: Flags [.], ack 3462835715, win 8760, length 0',
    ];
    assert.deepEqual(seedFrames.map((f) => tcpToString(parsed(f).repr)), expected);
  });
});

describe('fields to bytes', () => {
  test('setting every field of frame 1 on a 0xa5 buffer gives frame 1', () => {
    const seg = FRAME1.subarray(34, 58);
    const buf = prefilled(24);
    const v = new TcpPacket(buf);
    v.srcPort = 1037;
    v.dstPort = 139;
    v.seq = 8221822;
    v.ack = 0;
    buf[12] = 0; // data offset and reserved share the byte with nothing else we set
    v.headerLength = 24;
    v.flags = TcpFlag.SYN;
    v.window = 8192;
    v.urgentPointer = 0;
    emitTcpOptions([{ kind: 2, name: 'mss', mss: 1460 }], buf, 20);
    v.fillChecksum({ src: 0x836b02d6, dst: 0x836b02d3 });
    assert.equal(toHexString(buf), toHexString(seg));
  });

  test('the field table locates every field of frame 1', () => {
    const seg = FRAME1.subarray(34, 58);
    assert.equal(readField(seg, TCP_FIELDS.srcPort), 1037);
    assert.equal(readField(seg, TCP_FIELDS.dstPort), 139);
    assert.equal(readField(seg, TCP_FIELDS.seq), 8221822);
    assert.equal(readField(seg, TCP_FIELDS.dataOffset), 6);
    assert.equal(readField(seg, TCP_FIELDS.flags), TcpFlag.SYN);
    assert.equal(readField(seg, TCP_FLAG_FIELDS.syn), 1);
    assert.equal(readField(seg, TCP_FLAG_FIELDS.ack), 0);
    assert.equal(readField(seg, TCP_FIELDS.window), 8192);
    assert.equal(readField(seg, TCP_FIELDS.checksum), 0xf213);
  });

  test('flag masks are the TcpFlag bits and all nine are distinct', () => {
    const masks = Object.values(TCP_FLAG_FIELDS).map((f) => f[2]);
    assert.deepEqual(masks.sort((a, b) => a - b), Object.values(TcpFlag).sort((a, b) => a - b));
  });
});

describe('emit', () => {
  test('emitting the parsed repr of each seed frame reproduces the segment, checksum included', () => {
    for (const frame of seedFrames) {
      const { repr, view, ip } = parsed(frame);
      const buf = prefilled(tcpBufferLength(repr) + 4);
      const n = emitTcp(repr, buf, ip);
      assert.equal(n, view.bytes.length);
      assert.equal(toHexString(buf.subarray(0, n)), toHexString(view.bytes));
      assert.deepEqual([...buf.subarray(n)], [0xa5, 0xa5, 0xa5, 0xa5], 'nothing written past the segment');
    }
  });

  test('emitting every TCP fixture over IPv4 and IPv6 (extension headers, routing) reproduces it', () => {
    for (const name of ['qinq-ipv6-tcp-syn', 'ipv6-hbh-dst-rh-tcp', 'ipv6-ah-tcp', 'ipv4-tcp-sack-ts', 'ipv4-tcp-flags-unknown-opt']) {
      const { repr, view, ip } = parsed(fixture(name));
      const buf = prefilled(tcpBufferLength(repr));
      emitTcp(repr, buf, ip);
      assert.equal(toHexString(buf), toHexString(view.bytes), name);
    }
  });

  test('options are zero-padded to a multiple of four', () => {
    const repr: TcpRepr = { ...base, options: [{ kind: 3, name: 'wscale', shift: 7 }] };
    assert.equal(tcpHeaderLength(repr), 24);
    const buf = prefilled(24);
    emitTcp(repr, buf, V4);
    assert.equal(toHexString(buf.subarray(20)), '03030700');
    assert.equal(buf[12], 0x60);
  });

  test('a payload built in place after the header is not copied onto itself', () => {
    const buf = prefilled(20 + 5);
    buf.set([1, 2, 3, 4, 5], 20);
    const repr: TcpRepr = { ...base, payload: buf.subarray(20) };
    emitTcp(repr, buf, V4);
    assert.deepEqual([...buf.subarray(20)], [1, 2, 3, 4, 5]);
    assert.ok(new TcpPacket(buf).verifyChecksum(V4));
  });

  test('a segment emitted at an odd offset of a larger buffer checksums correctly', () => {
    const payload = new Uint8Array(1000).map((_, i) => i & 0xff);
    const repr: TcpRepr = { ...base, flags: TcpFlag.ACK | TcpFlag.PSH, payload };
    const out = atOffset(new Uint8Array(tcpBufferLength(repr)), 3);
    emitTcp(repr, out, V6);
    assert.equal(tcpChecksum(out, V6), 0);
    const back = parseTcp(new TcpPacket(out), V6);
    assert.ok(back.ok);
    assert.deepEqual(back.value.payload, payload);
  });

  test('too many options, out-of-range fields and small buffers are refused', () => {
    const tooMany: TcpOption[] = Array.from({ length: 5 }, () => ({ kind: 8, name: 'timestamps', tsval: 1, tsecr: 2 }) as const);
    assert.throws(() => emitTcp({ ...base, options: tooMany }, new Uint8Array(100), V4), { code: WireErrorCode.INVALID_REPR });
    assert.throws(() => emitTcp({ ...base, srcPort: 65536 }, new Uint8Array(100), V4), { code: WireErrorCode.INVALID_REPR });
    assert.throws(() => emitTcp({ ...base, seq: -1 }, new Uint8Array(100), V4), { code: WireErrorCode.INVALID_REPR });
    assert.throws(() => emitTcp({ ...base, flags: 0x200 }, new Uint8Array(100), V4), { code: WireErrorCode.INVALID_REPR });
    assert.throws(() => emitTcp(base, new Uint8Array(19), V4), { code: WireErrorCode.BUFFER_TOO_SMALL });
    assert.throws(
      () => emitTcp({ ...base, options: [{ kind: 2, name: 'unknown', data: new Uint8Array(2) }] }, new Uint8Array(100), V4),
      { code: WireErrorCode.INVALID_REPR },
    );
  });
});

const V4: IpAddressPair = { src: 0xc0000201, dst: 0xc6336407 };
const V6: IpAddressPair = { src: hex('20010db8000000000000000000000001'), dst: hex('20010db8000000010000000000000002') };
const base: TcpRepr = { srcPort: 1, dstPort: 2, seq: 3, ack: 4, flags: TcpFlag.ACK, window: 5, urgentPointer: 0, options: [], payload: new Uint8Array(0) };

describe('fixtures against tshark', () => {
  for (const name of ['qinq-ipv6-tcp-syn', 'ipv6-hbh-dst-rh-tcp', 'ipv6-ah-tcp', 'ipv4-tcp-sack-ts', 'ipv4-tcp-flags-unknown-opt']) {
    test(`${name}: every header field and option as tshark reads it, checksum valid`, () => {
      const t = truth(name);
      const { repr, view } = parsed(fixture(name));
      assert.equal(repr.srcPort, num(t, 'tcp.srcport'));
      assert.equal(repr.dstPort, num(t, 'tcp.dstport'));
      assert.equal(repr.seq, num(t, 'tcp.seq_raw'));
      assert.equal(repr.ack, num(t, 'tcp.ack_raw'));
      assert.equal(view.headerLength, num(t, 'tcp.hdr_len'));
      assert.equal(repr.flags, num(t, 'tcp.flags'));
      assert.equal(repr.window, num(t, 'tcp.window_size_value'));
      assert.equal(view.checksum, num(t, 'tcp.checksum'));
      assert.equal(num(t, 'tcp.checksum.status'), 1);
      assert.equal(repr.urgentPointer, num(t, 'tcp.urgent_pointer'));
      assert.equal(repr.payload.length, num(t, 'tcp.len'));
      // tshark lists each zero byte after an EOL as another EOL; we stop at the first (RFC 9293 3.1).
      const kinds = values(t, 'tcp.option_kind').map(Number);
      const firstEol = kinds.indexOf(0);
      assert.deepEqual(repr.options.map((o) => o.kind), firstEol < 0 ? kinds : kinds.slice(0, firstEol + 1));
      const mss = values(t, 'tcp.options.mss_val').map(Number)[0];
      assert.equal(findMss(repr.options), mss);
      assert.equal(findWindowScale(repr.options), values(t, 'tcp.options.wscale.shift').map(Number)[0]);
      const tsval = values(t, 'tcp.options.timestamp.tsval').map(Number)[0];
      assert.deepEqual(findTimestamps(repr.options), tsval === undefined ? undefined : { tsval, tsecr: num(t, 'tcp.options.timestamp.tsecr') });
      const le = values(t, 'tcp.options.sack_le').map(Number);
      const re = values(t, 'tcp.options.sack_re').map(Number);
      assert.deepEqual(findSackBlocks(repr.options), le.map((left, i) => ({ left, right: re[i] })));
      assert.equal(hasSackPermitted(repr.options), kinds.includes(4));
    });
  }

  test('the unknown option kind 254 is kept with its raw bytes', () => {
    const { repr } = parsed(fixture('ipv4-tcp-flags-unknown-opt'));
    assert.deepEqual(repr.options[0], { kind: 254, name: 'unknown', data: hex('4a17') });
    assert.equal(repr.flags, TcpFlag.AE | TcpFlag.CWR | TcpFlag.ECE | TcpFlag.URG | TcpFlag.ACK);
  });

  test('the routing header changes the pseudo-header: the plain destination does not verify', () => {
    const { view } = parsed(fixture('ipv6-hbh-dst-rh-tcp'));
    const eth = new EthernetFrame(fixture('ipv6-hbh-dst-rh-tcp'));
    const ip6 = new Ipv6Packet(eth.payload);
    assert.equal(view.verifyChecksum({ src: ip6.src, dst: ip6.dst }), false);
  });
});

describe('options (RFC 9293 3.1, MUST-7: illegal lengths are reported, never a crash)', () => {
  const cases: readonly (readonly [string, string, number])[] = [
    ['length 0', '020004b4', 21],
    ['length 1', '0201', 21],
    ['kind with no length byte at the end', '0101 01 fe', 23],
    ['length past the option area', '0101 080a 0000 0000', 23],
    ['MSS of length 3', '0203 05 00', 21],
    ['window scale of length 4', '0304 0700', 21],
    ['SACK-permitted of length 3', '0403 00 00', 21],
    ['timestamps of length 8', '0808 00000000 0000', 21],
    ['SACK of length 2 (no block)', '0101 0502', 23],
    ['SACK of length 14 (not 2 + 8n)', '050e 00000001 00000002 0000 0000', 21],
  ];
  for (const [what, bytes, offset] of cases) {
    test(`${what} is BAD_OPTION at offset ${offset}`, () => {
      const r = parseTcpOptions(hex(bytes));
      assert.equal(r.error?.code, WireErrorCode.BAD_OPTION);
      assert.equal(r.error?.offset, offset);
    });
  }

  test('options before the problem are still returned, with their offsets', () => {
    const r = parseTcpOptions(hex('020405b4 0101 0800'));
    assert.deepEqual(r.options, [{ kind: 2, name: 'mss', mss: 1460 }, { kind: 1, name: 'nop' }, { kind: 1, name: 'nop' }]);
    assert.deepEqual(r.offsets, [20, 24, 25]);
    assert.equal(r.error?.offset, 27);
  });

  test('a whole segment with an illegal option fails to parse with BAD_OPTION at its offset', () => {
    const seg = new Uint8Array(FRAME1.subarray(34, 58));
    seg[21] = 0; // MSS length byte
    const r = parseTcp(new TcpPacket(seg));
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.error.code, WireErrorCode.BAD_OPTION);
    assert.equal(!r.ok && r.error.offset, 21);
  });

  test('end-of-option-list ends the walk; what follows is padding', () => {
    const r = parseTcpOptions(hex('0101 00 ff ff ff'));
    assert.equal(r.error, undefined);
    assert.deepEqual(r.options.map((o) => o.name), ['nop', 'nop', 'eol']);
  });

  test('all known options decode', () => {
    const r = parseTcpOptions(hex('020405b4 0303 0e 0402 080a 00000001 ffffffff 0512 00000010 00000020 fffffff0 00000005 fd03aa 01'));
    assert.equal(r.error, undefined);
    assert.deepEqual(r.options, [
      { kind: 2, name: 'mss', mss: 1460 },
      { kind: 3, name: 'wscale', shift: 14 },
      { kind: 4, name: 'sackPermitted' },
      { kind: 8, name: 'timestamps', tsval: 1, tsecr: 0xffffffff },
      { kind: 5, name: 'sack', blocks: [{ left: 16, right: 32 }, { left: 0xfffffff0, right: 5 }] },
      { kind: 253, name: 'unknown', data: hex('aa') },
      { kind: 1, name: 'nop' },
    ]);
  });
});

describe('truncated and impossible headers', () => {
  test('fewer than 20 bytes is TRUNCATED', () => {
    const r = parseTcp(new TcpPacket(FRAME1.subarray(34, 53)));
    assert.equal(!r.ok && r.error.code, WireErrorCode.TRUNCATED);
  });
  test('a data offset below 5 is BAD_HEADER_LENGTH at byte 12', () => {
    const seg = new Uint8Array(FRAME1.subarray(34, 58));
    seg[12] = 0x40;
    const r = parseTcp(new TcpPacket(seg));
    assert.equal(!r.ok && r.error.code, WireErrorCode.BAD_HEADER_LENGTH);
    assert.equal(!r.ok && r.error.offset, 12);
  });
  test('a data offset past the end of the segment is TRUNCATED', () => {
    const seg = new Uint8Array(FRAME1.subarray(34, 58));
    seg[12] = 0x70;
    const r = parseTcp(new TcpPacket(seg));
    assert.equal(!r.ok && r.error.code, WireErrorCode.TRUNCATED);
  });
  test('a corrupted byte fails the checksum with BAD_CHECKSUM at byte 16', () => {
    const seg = new Uint8Array(FRAME1.subarray(34, 58));
    seg[15] = (seg[15] as number) ^ 1;
    const r = parseTcp(new TcpPacket(seg), { src: 0x836b02d6, dst: 0x836b02d3 });
    assert.equal(!r.ok && r.error.code, WireErrorCode.BAD_CHECKSUM);
    assert.equal(!r.ok && r.error.offset, 16);
  });
  test('without addresses the checksum is not looked at', () => {
    const seg = new Uint8Array(FRAME1.subarray(34, 58));
    seg[16] = (seg[16] as number) ^ 0xff;
    assert.ok(parseTcp(new TcpPacket(seg)).ok);
  });
});

describe('Linux option layout (net/ipv4/tcp_output.c), checked against real Linux 6.18 segments', () => {
  /** The TCP header of a (snap-length truncated) IPv4 frame of linux-tcp.pcap. */
  function linuxTcp(i: number): TcpRepr {
    const frame = linuxFrames[i] as Uint8Array;
    const ihl = ((frame[14] as number) & 0x0f) * 4;
    const r = parseTcp(new TcpPacket(frame.subarray(14 + ihl)));
    assert.ok(r.ok);
    return r.value;
  }
  function optionBytes(options: readonly TcpOption[]): string {
    const buf = prefilled(40);
    const n = emitTcpOptions(options, buf, 0);
    return toHexString(buf.subarray(0, n));
  }
  function linuxOptionBytes(i: number): string {
    const frame = linuxFrames[i] as Uint8Array;
    const ihl = ((frame[14] as number) & 0x0f) * 4;
    const seg = new TcpPacket(frame.subarray(14 + ihl));
    return toHexString(seg.optionBytes);
  }

  test('SYN and SYN-ACK: MSS, SACK-permitted+timestamps, NOP+window scale', () => {
    for (const i of [0, 1]) {
      const r = linuxTcp(i);
      const ts = findTimestamps(r.options);
      assert.ok(ts);
      const built = buildTcpOptions({ mss: 1460, sackPermitted: true, timestamps: ts, windowScale: 10 });
      assert.equal(optionBytes(built), linuxOptionBytes(i));
      assert.deepEqual(built, r.options);
    }
  });

  test('data and ACK segments: NOP NOP timestamps', () => {
    for (const i of [2, 3, 4]) {
      const r = linuxTcp(i);
      assert.equal(optionBytes(buildTcpOptions({ timestamps: findTimestamps(r.options) as { tsval: number; tsecr: number } })), linuxOptionBytes(i));
    }
  });

  test('ACKs with one, two and three SACK blocks: timestamps then NOP NOP SACK', () => {
    for (const [i, n] of [[5, 1], [6, 2], [7, 3]] as const) {
      const r = linuxTcp(i);
      const blocks = findSackBlocks(r.options);
      assert.equal(blocks.length, n);
      const built = buildTcpOptions({ timestamps: findTimestamps(r.options) as { tsval: number; tsecr: number }, sackBlocks: blocks });
      assert.equal(optionBytes(built), linuxOptionBytes(i));
    }
  });

  test('SACK blocks are cut to what fits: three with timestamps, four without', () => {
    const blocks = Array.from({ length: 6 }, (_, k) => ({ left: k * 100, right: k * 100 + 50 }));
    assert.equal(findSackBlocks(buildTcpOptions({ timestamps: { tsval: 1, tsecr: 2 }, sackBlocks: blocks })).length, 3);
    assert.equal(findSackBlocks(buildTcpOptions({ sackBlocks: blocks })).length, 4);
    for (const spec of [{ timestamps: { tsval: 1, tsecr: 2 }, sackBlocks: blocks }, { sackBlocks: blocks }, { mss: 1, sackPermitted: true, windowScale: 2 }]) {
      const o = buildTcpOptions(spec);
      assert.ok(emitTcpOptions(o, new Uint8Array(40), 0) <= 40);
    }
  });

  test('SACK-permitted without timestamps takes NOP NOP SACK-permitted', () => {
    assert.equal(optionBytes(buildTcpOptions({ mss: 536, sackPermitted: true })), '02040218' + '01010402');
  });
});

describe('text', () => {
  test('flags in tcpdump order and letters', () => {
    assert.equal(tcpFlagsToString(TcpFlag.SYN), 'S');
    assert.equal(tcpFlagsToString(TcpFlag.SYN | TcpFlag.ACK), 'S.');
    assert.equal(tcpFlagsToString(TcpFlag.FIN | TcpFlag.PSH | TcpFlag.ACK), 'FP.');
    assert.equal(tcpFlagsToString(TcpFlag.SYN | TcpFlag.ECE | TcpFlag.CWR), 'SEW');
    assert.equal(tcpFlagsToString(0), 'none');
  });

  test('fixture lines match tcpdump -S -nn', () => {
    // tcpdump 4.99.3 -r wire-fixtures.pcap -S -nn -v, address prefix and checksum removed.
    assert.equal(
      tcpToString(parsed(fixture('ipv4-tcp-sack-ts')).repr),
      '5001 > 80: Flags [P.], seq 4000:4033, ack 9000, win 1024, options [nop,nop,TS val 3735928559 ecr 195939070,nop,nop,sack 2 {5000:6000}{7000:7500}], length 33',
    );
    assert.equal(
      tcpToString(parsed(fixture('qinq-ipv6-tcp-syn')).repr),
      '40000 > 443: Flags [S], seq 4294967280, win 64800, options [mss 1440,sackOK,TS val 16909060 ecr 0,nop,wscale 7], length 0',
    );
    assert.equal(
      tcpToString(parsed(fixture('ipv6-hbh-dst-rh-tcp')).repr),
      '443 > 40000: Flags [P.], seq 1000:1016, ack 4294967281, win 501, options [nop,nop,TS val 77 ecr 16909060], length 16',
    );
    assert.equal(tcpToString(parsed(fixture('ipv6-ah-tcp')).repr), '1 > 2: Flags [R], seq 5, win 0, length 0');
    // tcpdump 4.99.3 prints [.UEW] here: it does not know AE (RFC 9293's former NS bit); we add 'e'.
    assert.equal(
      tcpToString(parsed(fixture('ipv4-tcp-flags-unknown-opt')).repr),
      '1 > 65535: Flags [.UEWe], seq 0:3, ack 1, win 65535, urg 3, options [exp-4a17,nop,nop,eol], length 3',
    );
  });

  test('SEG.LEN counts SYN and FIN', () => {
    assert.equal(tcpSegmentLength({ ...base, flags: TcpFlag.SYN }), 1);
    assert.equal(tcpSegmentLength({ ...base, flags: TcpFlag.FIN | TcpFlag.ACK, payload: new Uint8Array(10) }), 11);
  });
});
