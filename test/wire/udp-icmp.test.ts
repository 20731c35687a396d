import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { UdpPacket, emitUdp, parseUdp, udpBufferLength, udpToString } from '../../src/wire/udp.js';
import {
  Icmpv4Packet,
  Icmpv6Packet,
  emitIcmpv4,
  emitIcmpv6,
  icmpv4CodeName,
  icmpv4ToString,
  icmpv4TypeName,
  icmpv6ToString,
  icmpv6TypeName,
  parseIcmpv4,
  parseIcmpv6,
} from '../../src/wire/icmp.js';
import { EthernetFrame } from '../../src/wire/ethernet.js';
import { Ipv4Packet, parseIpv4 } from '../../src/wire/ipv4.js';
import { Ipv6Packet, parseIpv6, walkIpv6Chain } from '../../src/wire/ipv6.js';
import type { IpAddressPair } from '../../src/wire/ip.js';
import { WireErrorCode } from '../../src/wire/result.js';
import { fixture, num, prefilled, toHexString, truth } from './helpers.js';

/** The upper-layer bytes and the pseudo-header addresses of a fixture frame. */
function upper(name: string): { bytes: Uint8Array; ip: IpAddressPair } {
  const eth = new EthernetFrame(fixture(name));
  if (eth.etherType === 0x0800) {
    const v = new Ipv4Packet(eth.payload);
    const r = parseIpv4(v);
    assert.ok(r.ok);
    return { bytes: v.payload, ip: r.value };
  }
  const v = new Ipv6Packet(eth.payload);
  const r = parseIpv6(v);
  assert.ok(r.ok);
  const c = walkIpv6Chain(v);
  return { bytes: v.bytes.subarray(c.upperOffset, c.upperOffset + c.upperLength), ip: r.value };
}

describe('UDP', () => {
  for (const name of ['vlan-udp', 'ipv4-udp-nocsum', 'ipv6-frag-first']) {
    test(`${name}: ports, length, checksum as tshark reads them`, () => {
      const t = truth(name);
      const { bytes, ip } = upper(name);
      const v = new UdpPacket(bytes);
      assert.equal(v.srcPort, num(t, 'udp.srcport'));
      assert.equal(v.dstPort, num(t, 'udp.dstport'));
      assert.equal(v.length, num(t, 'udp.length'));
      assert.equal(v.checksum, num(t, 'udp.checksum'));
      if (num(t, 'udp.checksum.status') === 1) assert.ok(v.verifyChecksum(ip));
    });
  }

  test('a datagram parses with its checksum verified and emits back to the same bytes', () => {
    const { bytes, ip } = upper('vlan-udp');
    const r = parseUdp(new UdpPacket(bytes), ip);
    assert.ok(r.ok);
    assert.deepEqual([...r.value.payload], [...new TextEncoder().encode('hello')]);
    const buf = prefilled(udpBufferLength(r.value) + 1);
    emitUdp(r.value, buf, ip);
    assert.equal(toHexString(buf.subarray(0, bytes.length)), toHexString(bytes));
    assert.equal(buf[bytes.length], 0xa5);
  });

  test('checksum 0 means none over IPv4 (RFC 768) but is invalid over IPv6 (RFC 8200 8.1)', () => {
    const { bytes, ip } = upper('ipv4-udp-nocsum');
    assert.equal(num(truth('ipv4-udp-nocsum'), 'udp.checksum.status'), 3, 'tshark: 3 = not present');
    assert.ok(parseUdp(new UdpPacket(bytes), ip).ok);
    const v6 = { src: new Uint8Array(16), dst: new Uint8Array(16) };
    const r = parseUdp(new UdpPacket(bytes), v6);
    assert.equal(!r.ok && r.error.code, WireErrorCode.BAD_CHECKSUM);
  });

  test('a computed checksum of zero is sent as ffff (RFC 768)', () => {
    // Find a payload whose checksum computes to 0 by solving for its last word.
    const ip = { src: 0x0a000001, dst: 0x0a000002 };
    const repr = { srcPort: 1, dstPort: 2, payload: new Uint8Array(2) };
    const buf = new Uint8Array(10);
    emitUdp(repr, buf, ip);
    const c = (buf[6] as number) * 256 + (buf[7] as number);
    const fixed = { ...repr, payload: new Uint8Array([c >> 8, c & 0xff]) };
    emitUdp(fixed, buf, ip);
    assert.deepEqual([buf[6], buf[7]], [0xff, 0xff]);
    assert.ok(new UdpPacket(buf).verifyChecksum(ip));
  });

  test('length below 8 is BAD_LENGTH, past the bytes TRUNCATED, header cut TRUNCATED', () => {
    const b = new Uint8Array(upper('vlan-udp').bytes);
    b[5] = 7;
    assert.equal((parseUdp(new UdpPacket(b)) as { error: { code: string } }).error.code, WireErrorCode.BAD_LENGTH);
    b[5] = 100;
    assert.equal((parseUdp(new UdpPacket(b)) as { error: { code: string } }).error.code, WireErrorCode.TRUNCATED);
    assert.equal((parseUdp(new UdpPacket(b.subarray(0, 7))) as { error: { code: string } }).error.code, WireErrorCode.TRUNCATED);
  });

  test('line after tcpdump', () => {
    const r = parseUdp(new UdpPacket(upper('vlan-udp').bytes));
    assert.ok(r.ok);
    // tcpdump 4.99.3: "IP 192.0.2.1.40001 > 198.51.100.7.40002: UDP, length 5"
    assert.equal(udpToString(r.value), '40001 > 40002: UDP, length 5');
  });
});

describe('ICMPv4', () => {
  for (const name of ['ipv4-options-icmp-echo', 'icmpv4-port-unreachable']) {
    test(`${name}: type, code, checksum as tshark reads them`, () => {
      const t = truth(name);
      const v = new Icmpv4Packet(upper(name).bytes);
      assert.equal(v.type, num(t, 'icmp.type'));
      assert.equal(v.code, num(t, 'icmp.code'));
      assert.equal(v.checksum, num(t, 'icmp.checksum'));
      assert.equal(num(t, 'icmp.checksum.status'), 1);
      assert.ok(v.verifyChecksum());
      assert.ok(parseIcmpv4(v).ok);
    });
  }

  test('echo identifier and sequence', () => {
    const v = new Icmpv4Packet(upper('ipv4-options-icmp-echo').bytes);
    assert.equal(v.identifier, 0x4242);
    assert.equal(v.sequence, 7);
  });

  test('names and tcpdump lines', () => {
    assert.equal(icmpv4TypeName(3), 'destination unreachable');
    assert.equal(icmpv4CodeName(3, 3), 'port unreachable');
    const echo = parseIcmpv4(new Icmpv4Packet(upper('ipv4-options-icmp-echo').bytes));
    const unreach = parseIcmpv4(new Icmpv4Packet(upper('icmpv4-port-unreachable').bytes));
    assert.ok(echo.ok && unreach.ok);
    // tcpdump 4.99.3 lines for these two frames:
    assert.equal(icmpv4ToString(echo.value), 'ICMP echo request, id 16962, seq 7, length 16');
    assert.equal(icmpv4ToString(unreach.value), 'ICMP 192.0.2.1 udp port 5353 unreachable, length 36');
  });

  test('emit reproduces the message; a flipped bit fails the checksum', () => {
    const bytes = upper('icmpv4-port-unreachable').bytes;
    const r = parseIcmpv4(new Icmpv4Packet(bytes));
    assert.ok(r.ok);
    const buf = prefilled(bytes.length);
    emitIcmpv4(r.value, buf);
    assert.equal(toHexString(buf), toHexString(bytes));
    buf[8] = (buf[8] as number) ^ 0x10;
    const bad = parseIcmpv4(new Icmpv4Packet(buf));
    assert.equal(!bad.ok && bad.error.code, WireErrorCode.BAD_CHECKSUM);
    assert.equal(parseIcmpv4(new Icmpv4Packet(buf.subarray(0, 7))).ok, false);
  });
});

describe('ICMPv6', () => {
  for (const name of ['icmpv6-echo', 'icmpv6-ns']) {
    test(`${name}: type, code, checksum (with pseudo-header) as tshark reads them`, () => {
      const t = truth(name);
      const { bytes, ip } = upper(name);
      const v = new Icmpv6Packet(bytes);
      assert.equal(v.type, num(t, 'icmpv6.type'));
      assert.equal(v.code, num(t, 'icmpv6.code'));
      assert.equal(v.checksum, num(t, 'icmpv6.checksum'));
      assert.equal(num(t, 'icmpv6.checksum.status'), 1);
      assert.ok(parseIcmpv6(v, ip).ok);
      const r = parseIcmpv6(v, { src: ip.dst as Uint8Array, dst: ip.src as Uint8Array });
      assert.ok(r.ok, 'swapping the addresses keeps the ones-complement sum');
      const other = parseIcmpv6(v, { src: new Uint8Array(16), dst: ip.dst as Uint8Array });
      assert.equal(!other.ok && other.error.code, WireErrorCode.BAD_CHECKSUM);
    });
  }

  test('names and tcpdump lines', () => {
    assert.equal(icmpv6TypeName(135), 'neighbor solicitation');
    const echo = upper('icmpv6-echo');
    const ns = upper('icmpv6-ns');
    const e = parseIcmpv6(new Icmpv6Packet(echo.bytes), echo.ip);
    const n = parseIcmpv6(new Icmpv6Packet(ns.bytes), ns.ip);
    assert.ok(e.ok && n.ok);
    // tcpdump 4.99.3:
    assert.equal(icmpv6ToString(e.value), 'ICMP6, echo request, id 4660, seq 1, length 16');
    assert.equal(icmpv6ToString(n.value), 'ICMP6, neighbor solicitation, who has 2001:db8:0:1::2, length 32');
  });

  test('emit reproduces the message with its pseudo-header checksum', () => {
    const { bytes, ip } = upper('icmpv6-ns');
    const r = parseIcmpv6(new Icmpv6Packet(bytes), ip);
    assert.ok(r.ok);
    const buf = prefilled(bytes.length);
    emitIcmpv6(r.value, buf, ip);
    assert.equal(toHexString(buf), toHexString(bytes));
  });
});
