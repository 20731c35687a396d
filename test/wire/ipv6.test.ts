import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  IPV6_FIELDS,
  IPV6_FRAGMENT_FIELDS,
  Ipv6Packet,
  type Ipv6Repr,
  emitIpv6,
  emitIpv6FragmentHeader,
  formatIpv6Address,
  ipv6Address,
  ipv6BufferLength,
  ipv6ToString,
  parseIpv6,
  parseIpv6Address,
  walkIpv6Chain,
} from '../../src/wire/ipv6.js';
import { EthernetFrame } from '../../src/wire/ethernet.js';
import { readField } from '../../src/wire/bytes.js';
import { WireErrorCode } from '../../src/wire/result.js';
import { fixture, hex, num, prefilled, str, toHexString, truth, values } from './helpers.js';

const vectors = JSON.parse(
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'ipv6-text-vectors.json'), 'utf8'),
) as { hex: string; text: string; exploded: string; upper: string }[];

function ipv6Of(name: string): Ipv6Packet {
  const eth = new EthernetFrame(fixture(name));
  assert.equal(eth.check(), undefined);
  return new Ipv6Packet(eth.payload);
}

function parsedOf(name: string): Ipv6Repr {
  const r = parseIpv6(ipv6Of(name));
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
}

const IPV6_NAMES = [
  'qinq-ipv6-tcp-syn',
  'ipv6-hbh-dst-rh-tcp',
  'ipv6-frag-first',
  'ipv6-frag-last',
  'ipv6-ah-tcp',
  'ipv6-nonext',
  'icmpv6-echo',
  'icmpv6-ns',
];

describe('fixed header, bytes to fields, against tshark', () => {
  for (const name of IPV6_NAMES) {
    test(`${name}`, () => {
      const t = truth(name);
      const v = ipv6Of(name);
      const r = parsedOf(name);
      assert.equal(v.version, 6);
      assert.equal(r.trafficClass, num(t, 'ipv6.tclass'));
      assert.equal(r.flowLabel, num(t, 'ipv6.flow'));
      assert.equal(r.payloadLength, num(t, 'ipv6.plen'));
      assert.equal(r.nextHeader, num(t, 'ipv6.nxt'));
      assert.equal(r.hopLimit, num(t, 'ipv6.hlim'));
      assert.equal(formatIpv6Address(r.src), str(t, 'ipv6.src'));
      assert.equal(formatIpv6Address(r.dst), str(t, 'ipv6.dst'));
    });
  }

  test('the field table locates version, class, flow label and lengths', () => {
    const b = ipv6Of('qinq-ipv6-tcp-syn').bytes;
    assert.equal(readField(b, IPV6_FIELDS.version), 6);
    assert.equal(readField(b, IPV6_FIELDS.trafficClass), 0x20);
    assert.equal(readField(b, IPV6_FIELDS.flowLabel), 0xabcde);
    assert.equal(readField(b, IPV6_FIELDS.payloadLength), 40);
    assert.equal(readField(b, IPV6_FIELDS.nextHeader), 6);
  });
});

describe('extension-header chain (RFC 8200 4)', () => {
  test('hop-by-hop, destination options, routing, then TCP: types, offsets, lengths as tshark nests them', () => {
    const t = truth('ipv6-hbh-dst-rh-tcp');
    const c = walkIpv6Chain(ipv6Of('ipv6-hbh-dst-rh-tcp'));
    assert.equal(c.error, undefined);
    assert.deepEqual(
      c.headers.map((h) => [h.type, h.offset, h.length, h.nextHeader]),
      [
        [0, 40, 8, num(t, 'ipv6.hopopts.nxt')],
        [60, 48, 16, num(t, 'ipv6.dstopts.nxt')],
        [43, 64, 24, num(t, 'ipv6.routing.nxt')],
      ],
    );
    assert.deepEqual(c.headers[2]?.routing, { routingType: num(t, 'ipv6.routing.type'), segmentsLeft: num(t, 'ipv6.routing.segleft') });
    assert.equal(c.upperProtocol, 6);
    assert.equal(c.upperOffset, 88);
    assert.equal(c.upperLength, 96 - 48);
    assert.equal(c.upperHeaderPresent, true);
    assert.equal(formatIpv6Address(c.finalDestination ?? new Uint8Array(0)), '2001:db8::99');
  });

  test('fragment headers: offset in bytes, M flag, identification, next header (tshark shows 8-byte units)', () => {
    for (const name of ['ipv6-frag-first', 'ipv6-frag-last']) {
      const t = truth(name);
      const c = walkIpv6Chain(ipv6Of(name));
      assert.equal(c.error, undefined);
      assert.deepEqual(c.headers.map((h) => [h.type, h.offset, h.length]), [[44, 40, 8]]);
      assert.deepEqual(c.fragment, {
        nextHeader: num(t, 'ipv6.fraghdr.nxt'),
        fragmentOffset: num(t, 'ipv6.fraghdr.offset') * 8,
        moreFragments: num(t, 'ipv6.fraghdr.more') === 1,
        identification: num(t, 'ipv6.fraghdr.ident'),
      });
      assert.equal(c.upperProtocol, 17);
      assert.equal(c.upperOffset, 48);
      assert.equal(c.upperLength, num(t, 'ipv6.plen') - 8);
      // Only the first fragment carries the UDP header.
      assert.equal(c.upperHeaderPresent, name === 'ipv6-frag-first');
    }
  });

  test('AH is (payload length + 2) * 4 bytes long (RFC 4302 2.2)', () => {
    const t = truth('ipv6-ah-tcp');
    const c = walkIpv6Chain(ipv6Of('ipv6-ah-tcp'));
    assert.equal(num(t, 'ah.length'), 4);
    assert.deepEqual(c.headers.map((h) => [h.type, h.offset, h.length, h.nextHeader]), [[51, 40, 24, num(t, 'ah.next_header')]]);
    assert.equal(c.upperProtocol, 6);
    assert.equal(c.upperOffset, 64);
  });

  test('no next header (59) ends the chain with nothing above it', () => {
    const c = walkIpv6Chain(ipv6Of('ipv6-nonext'));
    assert.deepEqual(c.headers.map((h) => h.type), [60]);
    assert.equal(c.upperProtocol, 59);
    assert.equal(c.upperHeaderPresent, false);
  });

  test('a plain upper layer right after the fixed header', () => {
    const c = walkIpv6Chain(ipv6Of('icmpv6-echo'));
    assert.deepEqual(c.headers, []);
    assert.equal(c.upperProtocol, 58);
    assert.equal(c.upperOffset, 40);
    assert.equal(c.upperLength, 16);
  });

  test('an extension header running past the payload is TRUNCATED at its offset, earlier headers kept', () => {
    const bytes = new Uint8Array(ipv6Of('ipv6-hbh-dst-rh-tcp').bytes);
    bytes[48 + 1] = 20; // destination options now claims (20+1)*8 bytes
    const c = walkIpv6Chain(new Ipv6Packet(bytes));
    assert.equal(c.error?.code, WireErrorCode.TRUNCATED);
    assert.equal(c.error?.offset, 49);
    assert.deepEqual(c.headers.map((h) => h.type), [0]);
  });

  test('hop-by-hop after another header is refused (RFC 8200 4.1)', () => {
    const bytes = new Uint8Array(ipv6Of('ipv6-hbh-dst-rh-tcp').bytes);
    bytes[48] = 0; // destination options says: next is hop-by-hop
    const c = walkIpv6Chain(new Ipv6Packet(bytes));
    assert.equal(c.error?.code, WireErrorCode.BAD_EXTENSION_HEADER);
    assert.equal(c.error?.offset, 64);
  });

  test('a chain of many 8-byte headers is walked to its end and stays bounded by the payload', () => {
    const n = 100;
    const payload = new Uint8Array(8 * n);
    for (let i = 0; i < n; i++) payload[8 * i] = i === n - 1 ? 59 : 60;
    const buf = new Uint8Array(40 + payload.length);
    emitIpv6({ src: new Uint8Array(16), dst: new Uint8Array(16), nextHeader: 60, hopLimit: 1, trafficClass: 0, flowLabel: 0, payloadLength: payload.length }, buf);
    buf.set(payload, 40);
    const c = walkIpv6Chain(new Ipv6Packet(buf));
    assert.equal(c.headers.length, n);
    assert.equal(c.upperProtocol, 59);
  });

  test('emitted fragment header reads back, and matches the fixture bytes', () => {
    const buf = prefilled(10);
    emitIpv6FragmentHeader({ nextHeader: 17, fragmentOffset: 1232, moreFragments: false, identification: 0xcafef00d }, buf);
    assert.equal(toHexString(buf.subarray(0, 8)), toHexString(ipv6Of('ipv6-frag-last').bytes.subarray(40, 48)));
    assert.equal(readField(buf, IPV6_FRAGMENT_FIELDS.fragmentOffset), 1232 / 8);
    assert.deepEqual([buf[8], buf[9]], [0xa5, 0xa5]);
    assert.throws(() => emitIpv6FragmentHeader({ nextHeader: 17, fragmentOffset: 5, moreFragments: false, identification: 0 }, buf), {
      code: WireErrorCode.INVALID_REPR,
    });
  });
});

describe('emit', () => {
  test('emitting each parsed fixed header reproduces the 40 bytes', () => {
    for (const name of IPV6_NAMES) {
      const v = ipv6Of(name);
      const r = parsedOf(name);
      const buf = prefilled(42);
      assert.equal(emitIpv6(r, buf), 40);
      assert.equal(toHexString(buf.subarray(0, 40)), toHexString(v.bytes.subarray(0, 40)), name);
      assert.deepEqual([buf[40], buf[41]], [0xa5, 0xa5]);
      assert.equal(ipv6BufferLength(r), v.bytes.length);
    }
  });

  test('setters write the fields in place', () => {
    const buf = prefilled(40);
    buf[0] = 0x60;
    buf[1] = 0;
    const v = new Ipv6Packet(buf);
    v.trafficClass = 0x20;
    v.flowLabel = 0xabcde;
    v.payloadLength = 40;
    v.nextHeader = 6;
    v.hopLimit = 64;
    v.src = ipv6Address('2001:db8::1');
    v.dst = ipv6Address('2001:db8:0:1::2');
    assert.equal(toHexString(buf), toHexString(ipv6Of('qinq-ipv6-tcp-syn').bytes.subarray(0, 40)));
  });

  test('out-of-range fields are refused', () => {
    const r = parsedOf('icmpv6-echo');
    assert.throws(() => emitIpv6({ ...r, flowLabel: 0x100000 }, new Uint8Array(40)), { code: WireErrorCode.INVALID_REPR });
    assert.throws(() => emitIpv6({ ...r, src: new Uint8Array(4) }, new Uint8Array(40)), { code: WireErrorCode.INVALID_REPR });
    assert.throws(() => emitIpv6(r, new Uint8Array(39)), { code: WireErrorCode.BUFFER_TOO_SMALL });
  });
});

describe('truncated and impossible', () => {
  test('fewer than 40 bytes is TRUNCATED', () => {
    const r = parseIpv6(new Ipv6Packet(ipv6Of('icmpv6-echo').bytes.subarray(0, 39)));
    assert.equal(!r.ok && r.error.code, WireErrorCode.TRUNCATED);
  });
  test('a payload length beyond the bytes is TRUNCATED', () => {
    const r = parseIpv6(new Ipv6Packet(ipv6Of('icmpv6-echo').bytes.subarray(0, 50)));
    assert.equal(!r.ok && r.error.code, WireErrorCode.TRUNCATED);
  });
  test('version 4 in an IPv6 header is BAD_VERSION', () => {
    const b = new Uint8Array(ipv6Of('icmpv6-echo').bytes);
    b[0] = 0x45;
    const r = parseIpv6(new Ipv6Packet(b));
    assert.equal(!r.ok && r.error.code, WireErrorCode.BAD_VERSION);
  });
  test('bytes after the payload length (link padding) are not part of the payload', () => {
    const b = new Uint8Array(200);
    b.set(ipv6Of('icmpv6-echo').bytes);
    assert.equal(new Ipv6Packet(b).payload.length, 16);
  });
});

describe('addresses in RFC 5952 text', () => {
  const rfc: readonly (readonly [string, string])[] = [
    // RFC 5952 4.1 (leading zeros), 4.2.1 (longest run), 4.2.2 (one field is not ::), 4.2.3 (first of equal runs), 4.3 (lower case)
    ['2001:0db8:0000:0000:0000:0000:0002:0001', '2001:db8::2:1'],
    ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:DB8::AAAA:0:0:1', '2001:db8::aaaa:0:0:1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['fe80:0000:0000:0000:0204:61ff:fe9d:f156', 'fe80::204:61ff:fe9d:f156'],
    // RFC 5952 5: IPv4-mapped addresses in dotted quad
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['0:0:0:0:0:ffff:c000:0201', '::ffff:192.0.2.1'],
  ];
  for (const [input, canonical] of rfc) {
    test(`${input} -> ${canonical}`, () => {
      assert.equal(formatIpv6Address(ipv6Address(input)), canonical);
    });
  }

  test('400 random addresses format as Python ipaddress does, and parse back from every text form', () => {
    for (const v of vectors) {
      const bytes = hex(v.hex);
      assert.equal(formatIpv6Address(bytes), v.text, v.exploded);
      for (const text of [v.text, v.exploded, v.upper]) assert.deepEqual(ipv6Address(text), bytes, text);
    }
  });

  test('embedded dotted quads parse (RFC 4291 2.2 form 3)', () => {
    assert.equal(toHexString(ipv6Address('64:ff9b::192.0.2.33')), '0064ff9b0000000000000000c0000221');
    assert.equal(toHexString(ipv6Address('1:2:3:4:5:6:1.2.3.4')), '00010002000300040005000601020304');
  });

  const bad = [
    '',
    ':',
    ':::',
    '1::2::3',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7::8',
    '12345::',
    'g::1',
    '1:2:3:4:5:6:7:8::',
    '::1.2.3',
    '::256.1.1.1',
    '::01.2.3.4',
    '1.2.3.4::',
    'fe80::1%eth0',
    '::ffff:1.2.3.4:5',
    ' ::1',
  ];
  for (const text of bad) {
    test(`"${text}" is not an address (BAD_ADDRESS)`, () => {
      const r = parseIpv6Address(text);
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.error.code, WireErrorCode.BAD_ADDRESS);
    });
  }
});

describe('text', () => {
  test('one line after tcpdump -v', () => {
    // tcpdump 4.99.3 -v: "(class 0x20, flowlabel 0xabcde, hlim 64, next-header TCP (6) payload length: 40) 2001:db8::1 > 2001:db8:0:1::2"
    assert.equal(
      ipv6ToString(parsedOf('qinq-ipv6-tcp-syn')),
      'IP6 (class 0x20, flowlabel 0xabcde, hlim 64, next-header TCP (6) payload length: 40) 2001:db8::1 > 2001:db8:0:1::2',
    );
    // tcpdump: "frag (0xcafef00d:0|1232)"
    const v = ipv6Of('ipv6-frag-first');
    assert.match(ipv6ToString(parsedOf('ipv6-frag-first'), walkIpv6Chain(v)), /: frag \(0xcafef00d:0\|1232\) \+$/);
    assert.ok(values(truth('ipv6-frag-first'), 'ipv6.fraghdr.ident').includes('0xcafef00d'));
  });
});
