import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ETHERNET_FIELDS,
  EtherType,
  EthernetFrame,
  type EthernetRepr,
  VLAN_TAG_FIELDS,
  emitEthernet,
  ethernetHeaderLength,
  ethernetToString,
  etherTypeName,
  formatMac,
  macAddress,
  parseEthernet,
  parseMac,
  vlanTagOffset,
} from '../../src/wire/ethernet.js';
import { ARP_FIELDS, ArpOperation, ArpPacket, type ArpRepr, arpAddressFields, arpToString, emitArp, parseArp } from '../../src/wire/arp.js';
import { readField } from '../../src/wire/bytes.js';
import { WireErrorCode } from '../../src/wire/result.js';
import { atOffset, fixture, num, prefilled, seedFrames, str, toHexString, truth, values } from './helpers.js';

function parsed(frame: Uint8Array): EthernetRepr {
  const r = parseEthernet(new EthernetFrame(frame));
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
}

describe('Ethernet II', () => {
  test('seed frame 1: 02:60:8c:3b:85:c1 > 02:60:8c:9e:18:8b, IPv4', () => {
    const r = parsed(seedFrames[0] as Uint8Array);
    assert.equal(formatMac(r.src), str(truth(1), 'eth.src'));
    assert.equal(formatMac(r.dst), str(truth(1), 'eth.dst'));
    assert.equal(r.etherType, EtherType.IPV4);
    assert.deepEqual(r.vlans, []);
  });

  test('every frame of both captures reads as tshark reads it', () => {
    const cases = [
      ...seedFrames.map((f, i) => [f, truth(i + 1)] as const),
      ...['vlan-udp', 'qinq-ipv6-tcp-syn', 'arp-request', 'arp-reply', 'ipv4-frag-first', 'icmpv6-ns'].map((n) => [fixture(n), truth(n)] as const),
    ];
    for (const [frame, t] of cases) {
      const r = parsed(frame);
      assert.equal(formatMac(r.src), str(t, 'eth.src'), t.name);
      assert.equal(formatMac(r.dst), str(t, 'eth.dst'));
      assert.equal(r.vlans[0]?.tpid ?? r.etherType, num(t, 'eth.type'));
    }
  });

  test('an 802.1Q tag: pcp 5, vid 100, then IPv4 at offset 18', () => {
    const t = truth('vlan-udp');
    const v = new EthernetFrame(fixture('vlan-udp'));
    const r = parsed(fixture('vlan-udp'));
    assert.deepEqual(r.vlans, [{ tpid: 0x8100, pcp: num(t, 'vlan.priority'), dei: num(t, 'vlan.dei') === 1, vid: num(t, 'vlan.id') }]);
    assert.equal(r.etherType, num(t, 'vlan.etype'));
    assert.equal(v.headerLength, 18);
    assert.equal(v.payload[0], 0x45);
  });

  test('Q-in-Q: an 802.1ad service tag (vid 200, DEI) outside an 802.1Q tag (vid 100), then IPv6', () => {
    const t = truth('qinq-ipv6-tcp-syn');
    const r = parsed(fixture('qinq-ipv6-tcp-syn'));
    assert.deepEqual(r.vlans, [
      { tpid: 0x88a8, pcp: num(t, 'ieee8021ad.priority'), dei: num(t, 'ieee8021ad.dei') === 1, vid: num(t, 'ieee8021ad.id') },
      { tpid: 0x8100, pcp: num(t, 'vlan.priority'), dei: num(t, 'vlan.dei') === 1, vid: num(t, 'vlan.id') },
    ]);
    assert.equal(r.etherType, num(t, 'vlan.etype'));
    assert.equal(new EthernetFrame(fixture('qinq-ipv6-tcp-syn')).headerLength, 22);
  });

  test('field tables locate addresses, tags and the inner EtherType', () => {
    const b = fixture('qinq-ipv6-tcp-syn');
    assert.equal(readField(b, ETHERNET_FIELDS.etherType), 0x88a8);
    const tag1 = b.subarray(vlanTagOffset(1));
    assert.equal(readField(tag1, VLAN_TAG_FIELDS.tpid), 0x8100);
    assert.equal(readField(tag1, VLAN_TAG_FIELDS.vid), 100);
    assert.equal(readField(tag1, VLAN_TAG_FIELDS.pcp), 3);
    assert.equal(readField(b.subarray(vlanTagOffset(0)), VLAN_TAG_FIELDS.dei), 1);
    assert.equal(new EthernetFrame(b).etherTypeOffset, 20);
  });

  test('emit reproduces the header of tagged and untagged frames', () => {
    for (const frame of [seedFrames[0] as Uint8Array, fixture('vlan-udp'), fixture('qinq-ipv6-tcp-syn')]) {
      const r = parsed(frame);
      const n = ethernetHeaderLength(r);
      const buf = prefilled(n + 2);
      assert.equal(emitEthernet(r, buf), n);
      assert.equal(toHexString(buf.subarray(0, n)), toHexString(frame.subarray(0, n)));
      assert.deepEqual([buf[n], buf[n + 1]], [0xa5, 0xa5]);
    }
  });

  test('views honour the byte offset of a subarray', () => {
    const r = parseEthernet(new EthernetFrame(atOffset(fixture('vlan-udp'), 5)));
    assert.ok(r.ok);
    assert.equal(r.value.vlans[0]?.vid, 100);
  });

  test('truncated headers and cut-off tags are TRUNCATED', () => {
    for (const len of [0, 13, 15, 17]) {
      const r = parseEthernet(new EthernetFrame(fixture('vlan-udp').subarray(0, len)));
      assert.equal(!r.ok && r.error.code, WireErrorCode.TRUNCATED, `length ${len}`);
    }
    assert.ok(parseEthernet(new EthernetFrame(fixture('vlan-udp').subarray(0, 18))).ok);
  });

  test('a frame of nothing but VLAN tags ends in TRUNCATED, not a loop', () => {
    const b = new Uint8Array(12 + 4 * 1000);
    for (let i = 0; i < 1000; i++) b.set([0x81, 0x00, 0x00, 0x01], 12 + 4 * i);
    const r = parseEthernet(new EthernetFrame(b));
    assert.equal(!r.ok && r.error.code, WireErrorCode.TRUNCATED);
  });

  test('unknown EtherTypes are kept as numbers', () => {
    const b = new Uint8Array(seedFrames[0] as Uint8Array);
    b[12] = 0x12;
    b[13] = 0x34;
    assert.equal(parsed(b).etherType, 0x1234);
    assert.equal(etherTypeName(0x1234), undefined);
  });

  test('bad reprs are refused', () => {
    const r = parsed(seedFrames[0] as Uint8Array);
    const buf = new Uint8Array(30);
    assert.throws(() => emitEthernet({ ...r, src: new Uint8Array(5) }, buf), { code: WireErrorCode.INVALID_REPR });
    assert.throws(() => emitEthernet({ ...r, vlans: [{ tpid: 0x8100, pcp: 8, dei: false, vid: 1 }] }, buf), { code: WireErrorCode.INVALID_REPR });
    assert.throws(() => emitEthernet({ ...r, vlans: [{ tpid: 0x0800, pcp: 0, dei: false, vid: 1 }] }, buf), { code: WireErrorCode.INVALID_REPR });
    assert.throws(() => emitEthernet(r, new Uint8Array(13)), { code: WireErrorCode.BUFFER_TOO_SMALL });
  });

  test('lines after tcpdump -e', () => {
    // tcpdump 4.99.3 -e -r wire-fixtures.pcap, up to the IP part.
    assert.equal(
      ethernetToString(parsed(fixture('vlan-udp')), 51),
      '02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype 802.1Q (0x8100), length 51: vlan 100, p 5, ethertype IPv4 (0x0800)',
    );
    assert.equal(
      ethernetToString(parsed(fixture('qinq-ipv6-tcp-syn')), 102),
      '02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype 802.1Q-QinQ (0x88a8), length 102: vlan 200, p 0, DEI, ethertype 802.1Q (0x8100), vlan 100, p 3, ethertype IPv6 (0x86dd)',
    );
    assert.equal(
      ethernetToString(parsed(fixture('arp-request')), 60),
      '02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 60',
    );
  });

  test('MAC addresses parse with colons or dashes and format lower case', () => {
    assert.equal(formatMac(macAddress('02-60-8C-9E-18-8B')), '02:60:8c:9e:18:8b');
    assert.equal(formatMac(macAddress('2:60:8c:9e:18:8b')), '02:60:8c:9e:18:8b');
    for (const bad of ['', '02:60:8c:9e:18', '02:60:8c:9e:18:8b:00', '02:60-8c:9e:18:8b', 'zz:60:8c:9e:18:8b']) {
      const r = parseMac(bad);
      assert.equal(!r.ok && r.error.code, WireErrorCode.BAD_ADDRESS, bad);
    }
  });
});

describe('ARP', () => {
  function arpOf(name: string): ArpPacket {
    return new ArpPacket(new EthernetFrame(fixture(name)).payload);
  }
  function arpParsed(name: string): ArpRepr {
    const r = parseArp(arpOf(name));
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    return r.value;
  }

  for (const name of ['arp-request', 'arp-reply']) {
    test(`${name} reads as tshark reads it`, () => {
      const t = truth(name);
      const r = arpParsed(name);
      assert.equal(r.hardwareType, num(t, 'arp.hw.type'));
      assert.equal(r.protocolType, num(t, 'arp.proto.type'));
      assert.equal(r.operation, num(t, 'arp.opcode'));
      assert.equal(formatMac(r.senderHardwareAddress), str(t, 'arp.src.hw_mac'));
      assert.equal(formatMac(r.targetHardwareAddress), str(t, 'arp.dst.hw_mac'));
      assert.equal([...r.senderProtocolAddress].join('.'), str(t, 'arp.src.proto_ipv4'));
      assert.equal([...r.targetProtocolAddress].join('.'), str(t, 'arp.dst.proto_ipv4'));
      assert.equal(arpOf(name).length, 28);
    });
  }

  test('field tables locate the fixed part and the Ethernet/IPv4 addresses', () => {
    const b = arpOf('arp-reply').bytes;
    assert.equal(readField(b, ARP_FIELDS.operation), ArpOperation.REPLY);
    assert.equal(readField(b, ARP_FIELDS.hardwareLength), 6);
    assert.deepEqual(arpAddressFields(6, 4), {
      senderHardwareAddress: [8, 6],
      senderProtocolAddress: [14, 4],
      targetHardwareAddress: [18, 6],
      targetProtocolAddress: [24, 4],
    });
  });

  test('emit reproduces request and reply; padding after 28 bytes is not written', () => {
    for (const name of ['arp-request', 'arp-reply']) {
      const buf = prefilled(30);
      assert.equal(emitArp(arpParsed(name), buf), 28);
      assert.equal(toHexString(buf.subarray(0, 28)), toHexString(arpOf(name).bytes.subarray(0, 28)));
      assert.deepEqual([buf[28], buf[29]], [0xa5, 0xa5]);
    }
  });

  test('address lengths from hlen/plen that run past the bytes are TRUNCATED', () => {
    const b = new Uint8Array(arpOf('arp-request').bytes.subarray(0, 28));
    b[4] = 200;
    const r = parseArp(new ArpPacket(b));
    assert.equal(!r.ok && r.error.code, WireErrorCode.TRUNCATED);
    assert.equal(!parseArp(new ArpPacket(b.subarray(0, 7))).ok, true);
  });

  test('lines after tcpdump', () => {
    // tcpdump 4.99.3: "ARP, Request who-has 192.0.2.254 tell 192.0.2.1, length 46" (46 = Ethernet payload)
    assert.equal(arpToString(arpParsed('arp-request'), 46), 'ARP, Request who-has 192.0.2.254 tell 192.0.2.1, length 46');
    assert.equal(arpToString(arpParsed('arp-reply'), 46), 'ARP, Reply 192.0.2.254 is-at 02:00:00:00:00:02, length 46');
    assert.equal(values(truth('arp-request'), 'arp.opcode')[0], '1');
  });
});
