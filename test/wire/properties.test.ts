/**
 * Property tests: emit(parse(x)) == x for valid packets built from random reprs, and no parser
 * throws (or loops) on random or mutated bytes.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type TcpOption, type TcpRepr, TcpPacket, emitTcp, parseTcp, parseTcpOptions, tcpBufferLength, tcpOptionsLength } from '../../src/wire/tcp.js';
import { Ipv4Packet, type Ipv4Repr, emitIpv4, formatIpv4Address, ipv4Address, ipv4HeaderLength, parseIpv4, parseIpv4Options } from '../../src/wire/ipv4.js';
import { Ipv6Packet, type Ipv6Repr, emitIpv6, formatIpv6Address, ipv6Address, parseIpv6, walkIpv6Chain } from '../../src/wire/ipv6.js';
import { EthernetFrame, type EthernetRepr, emitEthernet, ethernetHeaderLength, parseEthernet } from '../../src/wire/ethernet.js';
import { ArpPacket, emitArp, parseArp } from '../../src/wire/arp.js';
import { UdpPacket, emitUdp, parseUdp, udpBufferLength } from '../../src/wire/udp.js';
import { Icmpv4Packet, Icmpv6Packet, emitIcmpv4, emitIcmpv6, icmpBufferLength, parseIcmpv4, parseIcmpv6 } from '../../src/wire/icmp.js';
import type { IpAddressPair } from '../../src/wire/ip.js';
import { fixture, fixtureNamesList, seedFrames } from './helpers.js';

/** Records with an ordinary prototype, so that deepEqual compares them with parsed reprs. */
function rec<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true }) as unknown as fc.Arbitrary<T>;
}

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const v4addr = u32;
const v6addr = fc.uint8Array({ minLength: 16, maxLength: 16 });
const ipPair: fc.Arbitrary<IpAddressPair> = fc.oneof(
  rec({ src: v4addr, dst: v4addr }),
  rec({ src: v6addr, dst: v6addr }),
);

const KNOWN = new Set([0, 1, 2, 3, 4, 5, 8]);
const option: fc.Arbitrary<TcpOption> = fc.oneof(
  fc.constant<TcpOption>({ kind: 1, name: 'nop' }),
  u16.map<TcpOption>((mss) => ({ kind: 2, name: 'mss', mss })),
  u8.map<TcpOption>((shift) => ({ kind: 3, name: 'wscale', shift })),
  fc.constant<TcpOption>({ kind: 4, name: 'sackPermitted' }),
  fc.array(rec({ left: u32, right: u32 }), { minLength: 1, maxLength: 4 }).map<TcpOption>((blocks) => ({ kind: 5, name: 'sack', blocks })),
  rec({ tsval: u32, tsecr: u32 }).map<TcpOption>(({ tsval, tsecr }) => ({ kind: 8, name: 'timestamps', tsval, tsecr })),
  fc
    .record({ kind: u8.filter((k) => !KNOWN.has(k)), data: fc.uint8Array({ maxLength: 12 }) })
    .map<TcpOption>(({ kind, data }) => ({ kind, name: 'unknown', data })),
);
/** Options that fit in 40 bytes; an end-of-list, if any, only last (RFC 9293 3.1). */
const options = fc
  .tuple(fc.array(option, { maxLength: 8 }), fc.boolean())
  .map(([list, eol]) => {
    const out: TcpOption[] = [];
    for (const o of list) if (tcpOptionsLength([...out, o]) <= 39) out.push(o);
    if (eol) out.push({ kind: 0, name: 'eol' });
    return out;
  });

const tcpRepr: fc.Arbitrary<TcpRepr> = rec({
  srcPort: u16,
  dstPort: u16,
  seq: u32,
  ack: u32,
  flags: fc.integer({ min: 0, max: 0x1ff }),
  window: u16,
  urgentPointer: u16,
  options,
  payload: fc.uint8Array({ maxLength: 300 }),
});

describe('emit(parse(x)) == x', () => {
  test('TCP over IPv4 and IPv6: bytes survive a parse/emit round trip, fields too', () => {
    fc.assert(
      fc.property(tcpRepr, ipPair, (repr, ip) => {
        const a = new Uint8Array(tcpBufferLength(repr));
        emitTcp(repr, a, ip);
        const r = parseTcp(new TcpPacket(a), ip);
        assert.ok(r.ok, r.ok ? '' : r.error.message);
        const b = new Uint8Array(tcpBufferLength(r.value)).fill(0xa5);
        emitTcp(r.value, b, ip);
        assert.deepEqual(b, a);
        const { options: got, payload, ...rest } = r.value;
        const { options: want, payload: p0, ...rest0 } = repr;
        assert.deepEqual(rest, rest0);
        assert.deepEqual(payload, p0);
        // Emit pads with zero bytes, which read back as one end-of-option-list.
        const padded = tcpOptionsLength(want) % 4 !== 0 && want[want.length - 1]?.kind !== 0;
        assert.deepEqual(got, padded ? [...want, { kind: 0, name: 'eol' }] : want);
      }),
      { numRuns: 500 },
    );
  });

  test('IPv4 header', () => {
    const repr: fc.Arbitrary<Ipv4Repr> = rec({
      src: v4addr,
      dst: v4addr,
      protocol: u8,
      ttl: u8,
      dscp: fc.integer({ min: 0, max: 63 }),
      ecn: fc.integer({ min: 0, max: 3 }),
      identification: u16,
      dontFragment: fc.boolean(),
      moreFragments: fc.boolean(),
      fragmentOffset: fc.integer({ min: 0, max: 0x1fff }).map((n) => n * 8),
      options: fc.integer({ min: 0, max: 10 }).chain((w) => fc.uint8Array({ minLength: 4 * w, maxLength: 4 * w })),
      payloadLength: fc.integer({ min: 0, max: 200 }),
    });
    fc.assert(
      fc.property(repr, (r) => {
        const buf = new Uint8Array(ipv4HeaderLength(r) + r.payloadLength);
        emitIpv4(r, buf);
        const p = parseIpv4(new Ipv4Packet(buf));
        assert.ok(p.ok, p.ok ? '' : p.error.message);
        assert.deepEqual(p.value, r);
        const again = new Uint8Array(buf.length);
        emitIpv4(p.value, again);
        assert.deepEqual(again, buf);
      }),
      { numRuns: 300 },
    );
  });

  test('IPv6 fixed header', () => {
    const repr: fc.Arbitrary<Ipv6Repr> = rec({
      src: v6addr,
      dst: v6addr,
      nextHeader: u8,
      hopLimit: u8,
      trafficClass: u8,
      flowLabel: fc.integer({ min: 0, max: 0xfffff }),
      payloadLength: fc.integer({ min: 0, max: 100 }),
    });
    fc.assert(
      fc.property(repr, (r) => {
        const buf = new Uint8Array(40 + r.payloadLength);
        emitIpv6(r, buf);
        const p = parseIpv6(new Ipv6Packet(buf));
        assert.ok(p.ok);
        assert.deepEqual(p.value, r);
      }),
      { numRuns: 300 },
    );
  });

  test('Ethernet header with 0-3 VLAN tags', () => {
    const tag = rec({ tpid: fc.constantFrom(0x8100, 0x88a8, 0x9100), pcp: fc.integer({ min: 0, max: 7 }), dei: fc.boolean(), vid: fc.integer({ min: 0, max: 0xfff }) });
    const repr: fc.Arbitrary<EthernetRepr> = rec({
      dst: fc.uint8Array({ minLength: 6, maxLength: 6 }),
      src: fc.uint8Array({ minLength: 6, maxLength: 6 }),
      vlans: fc.array(tag, { maxLength: 3 }),
      etherType: u16.filter((t) => t !== 0x8100 && t !== 0x88a8 && t !== 0x9100),
    });
    fc.assert(
      fc.property(repr, (r) => {
        const buf = new Uint8Array(ethernetHeaderLength(r));
        emitEthernet(r, buf);
        const p = parseEthernet(new EthernetFrame(buf));
        assert.ok(p.ok);
        assert.deepEqual(p.value, r);
      }),
      { numRuns: 300 },
    );
  });

  test('ARP with any address lengths', () => {
    fc.assert(
      fc.property(u16, u16, u16, fc.integer({ min: 0, max: 16 }), fc.integer({ min: 0, max: 16 }), fc.uint8Array({ minLength: 64, maxLength: 64 }), (ht, pt, op, hl, pl, pool) => {
        const r = {
          hardwareType: ht,
          protocolType: pt,
          operation: op,
          senderHardwareAddress: pool.slice(0, hl),
          senderProtocolAddress: pool.slice(16, 16 + pl),
          targetHardwareAddress: pool.slice(32, 32 + hl),
          targetProtocolAddress: pool.slice(48, 48 + pl),
        };
        const buf = new Uint8Array(8 + 2 * (hl + pl));
        emitArp(r, buf);
        const p = parseArp(new ArpPacket(buf));
        assert.ok(p.ok);
        assert.deepEqual(p.value, r);
      }),
      { numRuns: 200 },
    );
  });

  test('UDP and ICMP', () => {
    fc.assert(
      fc.property(u16, u16, fc.uint8Array({ maxLength: 200 }), ipPair, u8, u8, u32, (sp, dp, payload, ip, type, code, rest) => {
        const udp = { srcPort: sp, dstPort: dp, payload };
        const ub = new Uint8Array(udpBufferLength(udp));
        emitUdp(udp, ub, ip);
        const pu = parseUdp(new UdpPacket(ub), ip);
        assert.ok(pu.ok);
        assert.deepEqual(pu.value, udp);
        const icmp = { type, code, rest, payload };
        const ib = new Uint8Array(icmpBufferLength(icmp));
        emitIcmpv4(icmp, ib);
        const p4 = parseIcmpv4(new Icmpv4Packet(ib));
        assert.ok(p4.ok);
        assert.deepEqual(p4.value, icmp);
        emitIcmpv6(icmp, ib, ip);
        const p6 = parseIcmpv6(new Icmpv6Packet(ib), ip);
        assert.ok(p6.ok);
        assert.deepEqual(p6.value, icmp);
      }),
      { numRuns: 300 },
    );
  });

  test('address text: parse(format(a)) == a', () => {
    fc.assert(
      fc.property(v6addr, v4addr, (a6, a4) => {
        assert.deepEqual(ipv6Address(formatIpv6Address(a6)), a6);
        assert.equal(ipv4Address(formatIpv4Address(a4)), a4);
      }),
      { numRuns: 500 },
    );
  });
});

/** Decode a frame as deep as it goes, touching every view getter and text form; returns nothing. */
function decodeAll(frame: Uint8Array): void {
  const eth = new EthernetFrame(frame);
  String(eth);
  const er = parseEthernet(eth);
  if (!er.ok) return;
  const p = eth.payload;
  if (er.value.etherType === 0x0806) {
    String(new ArpPacket(p));
    return;
  }
  let ip: IpAddressPair | undefined;
  let proto = -1;
  let upper: Uint8Array = new Uint8Array(0);
  if (er.value.etherType === 0x0800) {
    const v = new Ipv4Packet(p);
    String(v);
    parseIpv4Options(v.options);
    const r = parseIpv4(v, { verifyChecksum: false });
    if (!r.ok) return;
    ip = r.value;
    proto = r.value.protocol;
    upper = v.payload;
  } else if (er.value.etherType === 0x86dd) {
    const v = new Ipv6Packet(p);
    String(v);
    const r = parseIpv6(v);
    if (!r.ok) return;
    const c = walkIpv6Chain(v);
    ip = r.value;
    proto = c.upperProtocol;
    upper = v.bytes.subarray(c.upperOffset, c.upperOffset + c.upperLength);
  }
  if (ip === undefined) return;
  if (proto === 6) {
    const t = new TcpPacket(upper);
    String(t);
    parseTcpOptions(t.optionBytes);
    parseTcp(t, ip);
  } else if (proto === 17) {
    String(new UdpPacket(upper));
    parseUdp(new UdpPacket(upper), ip);
  } else if (proto === 1) {
    String(new Icmpv4Packet(upper));
    parseIcmpv4(new Icmpv4Packet(upper));
  } else if (proto === 58) {
    String(new Icmpv6Packet(upper));
    parseIcmpv6(new Icmpv6Packet(upper), ip);
  }
}

describe('bad input never throws', () => {
  test('random bytes through every parser return results, never exceptions', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
        for (const r of [
          parseEthernet(new EthernetFrame(b)),
          parseArp(new ArpPacket(b)),
          parseIpv4(new Ipv4Packet(b)),
          parseIpv6(new Ipv6Packet(b)),
          parseTcp(new TcpPacket(b)),
          parseUdp(new UdpPacket(b)),
          parseIcmpv4(new Icmpv4Packet(b)),
          parseIcmpv6(new Icmpv6Packet(b)),
        ]) {
          assert.equal(typeof r.ok, 'boolean');
          if (!r.ok) assert.match(r.error.code, /^ERR_SYNACK_WIRE_/);
        }
        parseTcpOptions(b);
        parseIpv4Options(b);
        walkIpv6Chain(new Ipv6Packet(b));
        decodeAll(b);
      }),
      { numRuns: 2000 },
    );
  });

  test('random bytes behind a valid IPv6 header walk a bounded chain', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.constantFrom(0, 43, 44, 51, 60, 59, 6), (body, first) => {
        const buf = new Uint8Array(40 + body.length);
        emitIpv6({ src: new Uint8Array(16), dst: new Uint8Array(16), nextHeader: first, hopLimit: 1, trafficClass: 0, flowLabel: 0, payloadLength: body.length }, buf);
        buf.set(body, 40);
        const c = walkIpv6Chain(new Ipv6Packet(buf));
        assert.ok(c.headers.length <= body.length / 8);
        assert.ok(c.upperOffset <= buf.length);
        for (const h of c.headers) assert.ok(h.offset + h.length <= buf.length);
      }),
      { numRuns: 1000 },
    );
  });

  test('every fixture frame with a few bytes changed decodes without an exception', () => {
    const frames = [...seedFrames, ...fixtureNamesList().map((n) => fixture(n))];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: frames.length - 1 }),
        fc.array(fc.tuple(fc.nat(), u8), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        (i, edits, cut) => {
          const f = new Uint8Array(frames[i] as Uint8Array);
          for (const [at, v] of edits) f[at % f.length] = v;
          decodeAll(f);
          decodeAll(f.subarray(0, cut % (f.length + 1)));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
