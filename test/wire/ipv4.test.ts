import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  IPV4_DEFAULTS,
  IPV4_FIELDS,
  IpProtocol,
  Ipv4Packet,
  type Ipv4Repr,
  emitIpv4,
  formatIpv4Address,
  ipProtocolName,
  ipv4Address,
  ipv4BufferLength,
  ipv4ToString,
  parseIpv4,
  parseIpv4Address,
  parseIpv4Options,
} from '../../src/wire/ipv4.js';
import { EthernetFrame } from '../../src/wire/ethernet.js';
import { readField } from '../../src/wire/bytes.js';
import { WireErrorCode } from '../../src/wire/result.js';
import { fixture, hex, num, prefilled, seedFrames, str, toHexString, truth, values } from './helpers.js';

function ipv4Of(frame: Uint8Array): Ipv4Packet {
  const eth = new EthernetFrame(frame);
  assert.equal(eth.check(), undefined);
  return new Ipv4Packet(eth.payload);
}

function parsedOf(frame: Uint8Array): Ipv4Repr {
  const r = parseIpv4(ipv4Of(frame));
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
}

const IPV4_FIXTURES = [
  'vlan-udp',
  'ipv4-options-icmp-echo',
  'ipv4-frag-first',
  'ipv4-frag-last',
  'ipv4-tcp-sack-ts',
  'ipv4-udp-nocsum',
  'ipv4-tcp-flags-unknown-opt',
  'icmpv4-port-unreachable',
];
const all: readonly (readonly [string, Uint8Array, ReturnType<typeof truth>])[] = [
  ...seedFrames.map((f, i) => [`seed frame ${i + 1}`, f, truth(i + 1)] as const),
  ...IPV4_FIXTURES.map((n) => [n, fixture(n), truth(n)] as const),
];

describe('bytes to fields, against tshark', () => {
  for (const [name, frame, t] of all) {
    test(name, () => {
      const v = ipv4Of(frame);
      const r = parsedOf(frame);
      assert.equal(v.version, num(t, 'ip.version'));
      assert.equal(v.headerLength, num(t, 'ip.hdr_len'));
      assert.equal(r.dscp, num(t, 'ip.dsfield.dscp'));
      assert.equal(r.ecn, num(t, 'ip.dsfield.ecn'));
      assert.equal(v.totalLength, num(t, 'ip.len'));
      assert.equal(ipv4BufferLength(r), num(t, 'ip.len'));
      assert.equal(r.identification, num(t, 'ip.id'));
      assert.equal(v.reservedFlag, num(t, 'ip.flags.rb') === 1);
      assert.equal(r.dontFragment, num(t, 'ip.flags.df') === 1);
      assert.equal(r.moreFragments, num(t, 'ip.flags.mf') === 1);
      // tshark 4.0 shows the raw 13-bit field; synack's fragmentOffset is in bytes.
      assert.equal(r.fragmentOffset, num(t, 'ip.frag_offset') * 8);
      assert.equal(r.ttl, num(t, 'ip.ttl'));
      assert.equal(r.protocol, num(t, 'ip.proto'));
      assert.equal(v.checksum, num(t, 'ip.checksum'));
      assert.equal(num(t, 'ip.checksum.status'), 1);
      assert.ok(v.verifyChecksum());
      assert.equal(formatIpv4Address(r.src), str(t, 'ip.src'));
      assert.equal(formatIpv4Address(r.dst), str(t, 'ip.dst'));
    });
  }

  test('seed frame 1: 131.107.2.214 > 131.107.2.211, TCP, total length 44, checksum e14b', () => {
    const v = ipv4Of(seedFrames[0] as Uint8Array);
    assert.equal(v.src, 0x836b02d6);
    assert.equal(v.dst, 0x836b02d3);
    assert.equal(v.protocol, IpProtocol.TCP);
    assert.equal(v.totalLength, 44);
    assert.equal(v.checksum, 0xe14b);
    // 60-byte frame, 14 Ethernet + 44 IP: two bytes of link padding are not payload.
    assert.equal(v.payload.length, 24);
  });

  test('the field table locates every fixed field', () => {
    const b = ipv4Of(fixture('ipv4-frag-last')).bytes;
    assert.equal(readField(b, IPV4_FIELDS.version), 4);
    assert.equal(readField(b, IPV4_FIELDS.ihl), 5);
    assert.equal(readField(b, IPV4_FIELDS.totalLength), 84);
    assert.equal(readField(b, IPV4_FIELDS.identification), 0xbeef);
    assert.equal(readField(b, IPV4_FIELDS.dontFragment), 0);
    assert.equal(readField(b, IPV4_FIELDS.fragmentOffset), 185);
    assert.equal(readField(b, IPV4_FIELDS.protocol), 17);
    const e = ipv4Of(fixture('ipv4-tcp-flags-unknown-opt')).bytes;
    assert.equal(readField(e, IPV4_FIELDS.ecn), 3);
    assert.equal(readField(e, IPV4_FIELDS.dontFragment), 1);
  });
});

describe('options', () => {
  test('router alert, record route and end-of-list are named, with offsets and lengths as tshark shows', () => {
    const t = truth('ipv4-options-icmp-echo');
    const r = parsedOf(fixture('ipv4-options-icmp-echo'));
    assert.equal(r.options.length, 20);
    const list = parseIpv4Options(r.options);
    assert.equal(list.error, undefined);
    assert.deepEqual(list.options.map((o) => o.type), values(t, 'ip.opt.type').map(Number));
    assert.deepEqual(list.options.filter((o) => o.length > 1).map((o) => o.length), values(t, 'ip.opt.len').map(Number));
    assert.deepEqual(list.options.map((o) => [o.name, o.offset]), [['routerAlert', 20], ['recordRoute', 24], ['eol', 39]]);
    assert.deepEqual(list.options[1]?.data, hex('04 000000000000000000000000'));
  });

  test('an option with an illegal length is reported at its length byte', () => {
    assert.equal(parseIpv4Options(hex('9400')).error?.offset, 21);
    assert.equal(parseIpv4Options(hex('01 07')).error?.offset, 21);
    assert.equal(parseIpv4Options(hex('0728 0000')).error?.code, WireErrorCode.BAD_OPTION);
  });
});

describe('emit', () => {
  test('emitting each parsed header reproduces it, checksum included', () => {
    for (const [name, frame] of all) {
      const v = ipv4Of(frame);
      const r = parsedOf(frame);
      const buf = prefilled(v.headerLength + 3);
      assert.equal(emitIpv4(r, buf), v.headerLength);
      assert.equal(toHexString(buf.subarray(0, v.headerLength)), toHexString(v.bytes.subarray(0, v.headerLength)), name);
      assert.deepEqual([...buf.subarray(v.headerLength)], [0xa5, 0xa5, 0xa5]);
    }
  });

  test('setters write seed frame 1 field by field', () => {
    const buf = prefilled(20);
    const v = new Ipv4Packet(buf);
    v.headerLength = 20;
    buf[1] = 0;
    v.totalLength = 44;
    v.identification = 3329;
    buf[6] = 0;
    v.dontFragment = true;
    v.fragmentOffset = 0;
    v.ttl = 128;
    v.protocol = 6;
    v.src = ipv4Address('131.107.2.214');
    v.dst = ipv4Address('131.107.2.211');
    v.fillChecksum();
    assert.equal(toHexString(buf), toHexString((seedFrames[0] as Uint8Array).subarray(14, 34)));
  });

  test('defaults plus addresses, protocol and length make a header with TTL 64 and DF', () => {
    const repr: Ipv4Repr = { ...IPV4_DEFAULTS, src: ipv4Address('10.0.0.1'), dst: ipv4Address('10.0.0.2'), protocol: 6, payloadLength: 20 };
    const buf = new Uint8Array(40);
    emitIpv4(repr, buf);
    // Header checksum 26ce computed with python3 struct and the RFC 1071 sum.
    assert.equal(toHexString(buf.subarray(0, 20)), '45000028000040004006' + '26ce' + '0a000001' + '0a000002');
    const r = parseIpv4(new Ipv4Packet(buf));
    assert.ok(r.ok);
    assert.deepEqual(r.value, repr);
  });

  test('bad reprs are refused', () => {
    const r = parsedOf(seedFrames[0] as Uint8Array);
    const buf = new Uint8Array(80);
    assert.throws(() => emitIpv4({ ...r, options: new Uint8Array(3) }, buf), { code: WireErrorCode.INVALID_REPR });
    assert.throws(() => emitIpv4({ ...r, options: new Uint8Array(44) }, buf), { code: WireErrorCode.INVALID_REPR });
    assert.throws(() => emitIpv4({ ...r, fragmentOffset: 4 }, buf), { code: WireErrorCode.INVALID_REPR });
    assert.throws(() => emitIpv4({ ...r, ttl: 256 }, buf), { code: WireErrorCode.INVALID_REPR });
    assert.throws(() => emitIpv4({ ...r, payloadLength: 65535 }, buf), { code: WireErrorCode.INVALID_REPR });
    assert.throws(() => emitIpv4(r, new Uint8Array(19)), { code: WireErrorCode.BUFFER_TOO_SMALL });
  });
});

describe('truncated and impossible lengths', () => {
  const frame1 = (seedFrames[0] as Uint8Array).subarray(14);
  const mutate = (at: number, v: number): Ipv4Packet => {
    const b = new Uint8Array(frame1);
    b[at] = v;
    return new Ipv4Packet(b);
  };
  test('fewer than 20 bytes is TRUNCATED', () => {
    const r = parseIpv4(new Ipv4Packet(frame1.subarray(0, 19)));
    assert.equal(!r.ok && r.error.code, WireErrorCode.TRUNCATED);
  });
  test('IHL below 5 is BAD_HEADER_LENGTH', () => {
    const r = parseIpv4(mutate(0, 0x44));
    assert.equal(!r.ok && r.error.code, WireErrorCode.BAD_HEADER_LENGTH);
  });
  test('IHL past the bytes is TRUNCATED', () => {
    const r = parseIpv4(mutate(0, 0x4f));
    assert.equal(!r.ok && r.error.code, WireErrorCode.TRUNCATED);
  });
  test('total length below the header length is BAD_LENGTH at byte 2', () => {
    const r = parseIpv4(mutate(3, 19));
    assert.equal(!r.ok && r.error.code, WireErrorCode.BAD_LENGTH);
    assert.equal(!r.ok && r.error.offset, 2);
  });
  test('total length past the bytes is TRUNCATED', () => {
    const r = parseIpv4(mutate(3, 200));
    assert.equal(!r.ok && r.error.code, WireErrorCode.TRUNCATED);
  });
  test('version 6 is BAD_VERSION', () => {
    const r = parseIpv4(mutate(0, 0x65));
    assert.equal(!r.ok && r.error.code, WireErrorCode.BAD_VERSION);
  });
  test('a wrong header checksum is BAD_CHECKSUM unless verification is off', () => {
    const v = mutate(8, 127);
    const r = parseIpv4(v);
    assert.equal(!r.ok && r.error.code, WireErrorCode.BAD_CHECKSUM);
    assert.equal(!r.ok && r.error.offset, 10);
    assert.ok(parseIpv4(v, { verifyChecksum: false }).ok);
  });
});

describe('addresses and names', () => {
  test('dotted quads parse and format', () => {
    assert.equal(ipv4Address('131.107.2.214'), 0x836b02d6);
    assert.equal(ipv4Address('255.255.255.255'), 0xffffffff);
    assert.equal(formatIpv4Address(0xffffffff), '255.255.255.255');
    assert.equal(formatIpv4Address(0), '0.0.0.0');
  });
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.-4', '1..2.3', 'a.b.c.d', '1.2.3.4 ']) {
    test(`"${bad}" is BAD_ADDRESS`, () => {
      const r = parseIpv4Address(bad);
      assert.equal(!r.ok && r.error.code, WireErrorCode.BAD_ADDRESS);
    });
  }
  test('protocol numbers have names; unknown ones stay numbers', () => {
    assert.equal(ipProtocolName(6), 'TCP');
    assert.equal(ipProtocolName(58), 'ICMPv6');
    assert.equal(ipProtocolName(253), undefined);
  });
});

describe('text', () => {
  test('lines after tcpdump -v', () => {
    // tcpdump 4.99.3 -v -r kb172983.pcap: "IP (tos 0x0, ttl 128, id 3329, offset 0, flags [DF], proto TCP (6), length 44)"
    assert.equal(
      ipv4ToString(parsedOf(seedFrames[0] as Uint8Array)),
      'IP (tos 0x0, ttl 128, id 3329, offset 0, flags [DF], proto TCP (6), length 44) 131.107.2.214 > 131.107.2.211',
    );
    assert.equal(
      ipv4ToString(parsedOf(seedFrames[4] as Uint8Array)),
      'IP (tos 0x0, ttl 63, id 53890, offset 0, flags [none], proto TCP (6), length 40) 192.94.222.87 > 192.94.222.123',
    );
    // tcpdump: "(tos 0x0, ttl 64, id 48879, offset 0, flags [+], proto UDP (17), length 1500)"
    assert.match(ipv4ToString(parsedOf(fixture('ipv4-frag-first'))), /^IP \(tos 0x0, ttl 64, id 48879, offset 0, flags \[\+\], proto UDP \(17\), length 1500\)/);
    // tcpdump: "(tos 0x3,CE, ttl 64, id 4660, offset 0, flags [DF], proto TCP (6), length 51)"
    assert.match(ipv4ToString(parsedOf(fixture('ipv4-tcp-flags-unknown-opt'))), /^IP \(tos 0x3,CE, ttl 64, id 4660, offset 0, flags \[DF\], proto TCP \(6\), length 51\)/);
  });
});
