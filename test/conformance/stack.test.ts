/**
 * RFC 9293 requirements that live in the IP layer and the stack (3.9.1.1 OPEN, 3.9.2 the
 * lower-level interface, 3.9.2.3 address validation), driven through src/stack by hand with crafted
 * packets (test/stack/packets.ts): what goes in, what must come out.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SynackError } from '../../src/errors.js';
import { formatAddress } from '../../src/stack/address.js';
import { createNodeStack } from '../../src/stack/node.js';
import { TcpState } from '../../src/tcp/state.js';
import { emitIcmpv4, emitIcmpv6, emitIpv4, emitIpv6, emitTcp, icmpBufferLength, Ipv4Packet, Ipv6Packet, tcpBufferLength, TcpPacket, type TcpRepr } from '../../src/wire/index.js';
import type { StackConnection } from '../../src/stack/stack.js';
import type { TcpEvent } from '../../src/tcp/events.js';
import { ACK, addr, decode, FIN, handshake, Host, PSH, RST, SYN, tcpPacket, tcpRepr } from '../stack/packets.js';

const A = '10.0.0.1';
const B = '10.0.0.2';
const MSS = { kind: 2, name: 'mss', mss: 1460 } as const;

/** B's interface addresses in the multihomed tests. */
const MULTI = { interfaces: [{ addresses: ['10.0.0.2', '10.0.0.3', 'fd00::2'] }, { name: 'lan', addresses: ['192.168.1.2', 'fd01::2'] }] };

describe('OPEN (3.9.1.1)', () => {
  test('a passive OPEN on a port an existing connection uses leaves that connection alone (MUST-41)', () => {
    const h = new Host();
    const e = h.stack.openConnection({ remoteAddress: addr(A), remotePort: 80, localPort: 5000 });
    const [syn] = h.out();
    assert.equal(syn?.tcp?.flags, SYN);
    const iss = syn?.tcp?.seq ?? 0;
    h.in(tcpPacket({ src: A, dst: B, srcPort: 80, dstPort: 5000, seq: 700, ack: iss + 1, flags: SYN | ACK, options: [MSS] }));
    h.out();
    assert.equal(e.conn.state, TcpState.Established);
    const l = h.stack.listen({ port: 5000 });
    // A second passive OPEN on the same port fails and changes nothing either.
    assert.throws(() => h.stack.listen({ port: 5000 }), { code: 'EADDRINUSE' });
    // The connection's segments still reach the connection, not the listener.
    h.in(tcpPacket({ src: A, dst: B, srcPort: 80, dstPort: 5000, seq: 701, ack: iss + 1, flags: ACK | PSH, payload: 'still mine' }));
    const out = h.out(100);
    assert.deepEqual(out.map((d) => [d.tcp?.flags, d.tcp?.ack]), [[ACK, 711]]);
    assert.equal(new TextDecoder().decode(e.conn.read()), 'still mine');
    assert.equal(e.conn.state, TcpState.Established);
    assert.equal(l.pending, 0);
  });

  test('LISTEN works on the local port of a connection in SYN-SENT or SYN-RECEIVED, and all of them go on (MUST-42)', () => {
    const h = new Host();
    // SYN-SENT from port 5000, then a listener on 5000.
    const sent = h.stack.openConnection({ remoteAddress: addr(A), remotePort: 80, localPort: 5000 });
    const iss1 = h.out()[0]?.tcp?.seq ?? 0;
    assert.equal(sent.conn.state, TcpState.SynSent);
    const l = h.stack.listen({ port: 5000 });
    // SYN-RECEIVED (a simultaneous open) from port 5001, then a listener on 5001.
    const rcvd = h.stack.openConnection({ remoteAddress: addr(A), remotePort: 81, localPort: 5001 });
    const iss2 = h.out()[0]?.tcp?.seq ?? 0;
    h.in(tcpPacket({ src: A, dst: B, srcPort: 81, dstPort: 5001, seq: 900, flags: SYN, options: [MSS] }));
    assert.equal(h.out()[0]?.tcp?.flags, SYN | ACK);
    assert.equal(rcvd.conn.state, TcpState.SynReceived);
    const l2 = h.stack.listen({ port: 5001 });
    // Another host connects to both listeners.
    for (const port of [5000, 5001]) {
      h.in(tcpPacket({ src: '10.0.0.9', dst: B, srcPort: 4000, dstPort: port, seq: 1, flags: SYN, options: [MSS] }));
      const [r] = h.out();
      assert.deepEqual([r?.tcp?.flags, r?.tcp?.ack, r?.dst], [SYN | ACK, 2, addr('10.0.0.9')]);
    }
    assert.deepEqual([l.pending, l2.pending], [1, 1]);
    // The earlier connections complete their opens.
    h.in(tcpPacket({ src: A, dst: B, srcPort: 80, dstPort: 5000, seq: 300, ack: iss1 + 1, flags: SYN | ACK, options: [MSS] }));
    h.in(tcpPacket({ src: A, dst: B, srcPort: 81, dstPort: 5001, seq: 900, ack: iss2 + 1, flags: SYN | ACK, options: [MSS] }));
    h.out();
    assert.equal(sent.conn.state, TcpState.Established);
    assert.equal(rcvd.conn.state, TcpState.Established);
  });

  test('an active OPEN may name its local address and a passive OPEN may be bound to one (MUST-43)', () => {
    const h = new Host(MULTI);
    h.stack.openConnection({ remoteAddress: addr(A), remotePort: 80, localAddress: addr('10.0.0.3') });
    const [syn] = h.out();
    assert.equal(syn?.tcp?.flags, SYN);
    assert.equal(syn?.src, addr('10.0.0.3'));
    h.stack.listen({ port: 81, address: addr('10.0.0.3') });
    h.in(tcpPacket({ src: A, dst: '10.0.0.2', srcPort: 4000, dstPort: 81, seq: 1, flags: SYN }));
    h.in(tcpPacket({ src: A, dst: '10.0.0.3', srcPort: 4001, dstPort: 81, seq: 1, flags: SYN }));
    const out = h.out();
    assert.deepEqual(out.map((d) => [d.src, d.tcp?.flags]), [
      [addr('10.0.0.2'), RST | ACK], // nobody listens on 10.0.0.2:81
      [addr('10.0.0.3'), SYN | ACK],
    ]);
    // The socket API passes it on.
    const sock = h.stack.connect({ host: A, port: 82, localAddress: '10.0.0.3' });
    const [syn2] = h.out();
    assert.deepEqual([syn2?.src, syn2?.tcp?.dstPort, sock.localAddress], [addr('10.0.0.3'), 82, '10.0.0.3']);
    // A local address the host does not have is refused.
    assert.throws(() => h.stack.openConnection({ remoteAddress: addr(A), remotePort: 80, localAddress: addr('10.0.0.99') }), { code: 'EADDRNOTAVAIL' });
  });

  test('without a local address the IP layer picks one of its own of the right family before the first SYN (MUST-44)', () => {
    const h = new Host(MULTI);
    const v6 = h.stack.openConnection({ remoteAddress: addr('fd00::1'), remotePort: 80 });
    const v4 = h.stack.openConnection({ remoteAddress: addr(A), remotePort: 80 });
    // Chosen at OPEN, before anything was sent.
    assert.deepEqual([v6.localAddress, v4.localAddress], [addr('fd00::2'), addr('10.0.0.2')]);
    const out = h.out();
    assert.deepEqual(out.map((d) => [d.version, d.src, d.tcp?.flags]), [
      [6, addr('fd00::2'), SYN],
      [4, addr('10.0.0.2'), SYN],
    ]);
  });

  test('an OPEN to a broadcast, multicast or unspecified address is refused and sends nothing (MUST-46)', () => {
    const h = new Host();
    for (const to of ['255.255.255.255', '224.0.0.1', '0.0.0.0', 'ff02::1', '::']) {
      assert.throws(() => h.stack.openConnection({ remoteAddress: addr(to), remotePort: 80 }), { code: 'ENETUNREACH' }, to);
    }
    // Through the socket API the error comes as an 'error' event.
    const s = h.stack.connect({ host: '239.0.0.1', port: 80 });
    let code = '';
    s.on('error', (e) => (code = e instanceof SynackError ? e.code : String(e)));
    assert.deepEqual(h.out(), []);
    assert.equal(code, 'ENETUNREACH');
    assert.equal(h.stack.connectionCount, 0);
  });

  test('every segment of a connection leaves from the local address its first segment used (MUST-45)', () => {
    const h = new Host(MULTI);
    h.stack.createServer((s) => {
      s.on('data', (d) => s.end(d));
    }).listen(80);
    // The SYN is addressed to B's address on its second interface, and arrives there.
    const lan = (spec: Parameters<typeof tcpPacket>[0]): void => h.stack.receive(h.now, tcpPacket(spec), 1);
    const peer = { src: '192.168.1.1', dst: '192.168.1.2', srcPort: 4000, dstPort: 80 };
    lan({ ...peer, seq: 100, flags: SYN, options: [MSS] });
    const synAck = decode(h.stack.poll(0)[0]?.packet ?? new Uint8Array()).tcp;
    assert.equal(synAck?.flags, SYN | ACK);
    const ack = ((synAck?.seq ?? 0) + 1) >>> 0;
    lan({ ...peer, seq: 101, ack, flags: ACK });
    lan({ ...peer, seq: 101, ack, flags: ACK | PSH, payload: 'echo' });
    const sent = h.stack.poll(50);
    const all = sent.map((o) => ({ iface: o.iface, ...decode(o.packet) }));
    assert.ok(all.some((d) => (d.tcp?.flags ?? 0) & FIN), 'the echo and the FIN were sent');
    for (const d of all) assert.deepEqual([d.iface, d.src], [1, addr('192.168.1.2')]);
    // The same for an active open, over IPv6: the SYN's source stays the connection's source.
    const e = h.stack.openConnection({ remoteAddress: addr('fd01::1'), remotePort: 80 });
    const [syn] = h.out(60);
    assert.deepEqual(syn?.src, e.localAddress);
    h.in(tcpPacket({ src: 'fd01::1', dst: formatAddress(e.localAddress), srcPort: 80, dstPort: e.localPort, seq: 5, ack: (syn?.tcp?.seq ?? 0) + 1, flags: SYN | ACK, options: [MSS] }));
    e.conn.send(new TextEncoder().encode('x'));
    e.conn.close();
    e.kick();
    const rest = h.out(70);
    assert.ok(rest.length >= 2);
    for (const d of rest) assert.deepEqual(d.src, e.localAddress);
  });
});

describe('the IP layer below TCP (3.9.2)', () => {
  test('the TTL and hop limit of TCP packets are configurable (MUST-49)', () => {
    const h = new Host({ ttl: 17 });
    h.stack.createServer().listen(80);
    h.in(tcpPacket({ src: A, dst: B, srcPort: 4000, dstPort: 80, seq: 1, flags: SYN }));
    h.in(tcpPacket({ src: 'fd00::1', dst: 'fd00::2', srcPort: 4000, dstPort: 80, seq: 1, flags: SYN }));
    h.in(tcpPacket({ src: A, dst: B, srcPort: 4000, dstPort: 9, seq: 1, flags: SYN })); // closed port: RST
    const [v4, v6, rst] = h.raw();
    assert.equal(new Ipv4Packet(v4 ?? new Uint8Array()).ttl, 17);
    assert.equal(new Ipv6Packet(v6 ?? new Uint8Array()).hopLimit, 17);
    assert.equal(new Ipv4Packet(rst ?? new Uint8Array()).ttl, 17);
    assert.throws(() => new Host({ ttl: 0 }), { code: 'ERR_SYNACK_BAD_ARGUMENT' });
  });

  test('the application sets the Diffserv field of the packets a connection sends, and may change it (MUST-48, SHLD-21, SHLD-22)', () => {
    const h = new Host();
    const dscpOf = (p: Uint8Array | undefined): number => {
      const b = p ?? new Uint8Array();
      return (b[0] as number) >>> 4 === 4 ? new Ipv4Packet(b).dscp : new Ipv6Packet(b).trafficClass >>> 2;
    };
    // Active opens: the SYN carries the codepoint asked for (EF = 46; AF41 = 34 over IPv6).
    const e = h.stack.openConnection({ remoteAddress: addr(A), remotePort: 80, dscp: 46 });
    const e6 = h.stack.openConnection({ remoteAddress: addr('fd00::1'), remotePort: 80, dscp: 34 });
    const [syn, syn6] = h.raw();
    assert.equal(dscpOf(syn), 46);
    assert.equal(new Ipv4Packet(syn ?? new Uint8Array()).ecn, 0);
    assert.equal(new Ipv6Packet(syn6 ?? new Uint8Array()).trafficClass, 34 << 2);
    assert.equal(e6.dscp, 34);
    // Changed during the connection: the next packets carry the new value.
    const iss = decode(syn ?? new Uint8Array()).tcp?.seq ?? 0;
    h.in(tcpPacket({ src: A, dst: B, srcPort: 80, dstPort: e.localPort, seq: 5000, ack: iss + 1, flags: SYN | ACK, options: [MSS] }));
    assert.equal(dscpOf(h.raw()[0]), 46, 'the handshake ACK');
    e.setDscp(10);
    e.conn.send(new TextEncoder().encode('x'));
    e.kick();
    assert.equal(dscpOf(h.raw()[0]), 10);
    assert.throws(() => e.setDscp(64), { code: 'ERR_SYNACK_BAD_ARGUMENT' });
    assert.throws(() => h.stack.openConnection({ remoteAddress: addr(A), remotePort: 81, dscp: -1 }), { code: 'ERR_SYNACK_BAD_ARGUMENT' });
    // A passive open: the listener's codepoint is on its SYN,ACK; a closed port's RST has the default 0.
    h.stack.listen({ port: 81, dscp: 26 });
    h.in(tcpPacket({ src: A, dst: B, srcPort: 4000, dstPort: 81, seq: 1, flags: SYN }));
    h.in(tcpPacket({ src: A, dst: B, srcPort: 4000, dstPort: 9, seq: 1, flags: SYN }));
    const [synAck, rst] = h.raw();
    assert.deepEqual([decode(synAck ?? new Uint8Array()).tcp?.flags, dscpOf(synAck)], [SYN | ACK, 26]);
    assert.deepEqual([decode(rst ?? new Uint8Array()).tcp?.flags, dscpOf(rst)], [RST | ACK, 0]);
  });

  test('IP options and IPv6 extension options TCP does not understand are ignored: the SYN is answered (MUST-50)', () => {
    const h = new Host();
    h.stack.createServer().listen(80);
    const seg: TcpRepr = tcpRepr({ src: A, dst: B, srcPort: 4000, dstPort: 80, seq: 1, flags: SYN, options: [MSS] });
    const len = tcpBufferLength(seg);
    // IPv4: Record Route (7, length 7, pointer 4, one empty slot), NOP, then an unassigned option 0x9e of length 4.
    const options = Uint8Array.of(7, 7, 4, 0, 0, 0, 0, 1, 0x9e, 4, 0xab, 0xcd);
    const v4 = new Uint8Array(20 + options.length + len);
    emitIpv4({ src: addr(A) as number, dst: addr(B) as number, protocol: 6, ttl: 64, dscp: 0, ecn: 0, identification: 1, dontFragment: true, moreFragments: false, fragmentOffset: 0, options, payloadLength: len }, v4);
    emitTcp(seg, v4.subarray(20 + options.length), { src: addr(A) as number, dst: addr(B) as number });
    // IPv6: a destination options header (60) with an unknown option of type 0x1e (action 00: skip it).
    const dstopts = Uint8Array.of(6, 0, 0x1e, 4, 1, 2, 3, 4);
    const v6 = new Uint8Array(40 + dstopts.length + len);
    const s6 = addr('fd00::1') as Uint8Array;
    const d6 = addr('fd00::2') as Uint8Array;
    emitIpv6({ src: s6, dst: d6, nextHeader: 60, hopLimit: 64, trafficClass: 0, flowLabel: 0, payloadLength: dstopts.length + len }, v6);
    v6.set(dstopts, 40);
    emitTcp(seg, v6.subarray(40 + dstopts.length), { src: s6, dst: d6 });
    h.in([v4, v6]);
    const out = h.raw();
    assert.equal(out.length, 2);
    for (const p of out) assert.equal(decode(p).tcp?.flags, SYN | ACK);
    // The answer carries no IP options of its own (Record Route and Timestamp are not supported: MAY-10, MAY-11).
    assert.equal(new Ipv4Packet(out[0] ?? new Uint8Array()).headerLength, 20);
  });

  test('every TCP segment the stack sends has a valid checksum over IPv4 and IPv6 (MUST-2)', () => {
    for (const [src, dst] of [[A, B], ['fd00::1', 'fd00::2']] as const) {
      const h = new Host();
      h.stack.createServer((s) => s.on('data', (d) => s.end(d))).listen(80);
      const c = handshake(h, { src, dst });
      h.in(tcpPacket({ src, dst, srcPort: c.srcPort, dstPort: 80, seq: c.seq, ack: c.ack, flags: ACK | PSH, payload: new Uint8Array(3001).fill(7) }));
      const out = h.raw(100);
      assert.ok(out.length >= 3);
      for (const p of out) decode(p); // parses with the pseudo-header and fails on a wrong checksum
    }
  });
});

describe('ICMP errors from the IP layer (3.9.2.2)', () => {
  /** An ICMPv4 or ICMPv6 error from `from` to `to` quoting `quoted`. */
  function icmpError(from: string, to: string, type: number, code: number, rest: number, quoted: Uint8Array): Uint8Array {
    const repr = { type, code, rest, payload: quoted };
    const len = icmpBufferLength(repr);
    const s = addr(from);
    const d = addr(to);
    if (typeof s === 'number') {
      const buf = new Uint8Array(20 + len);
      emitIpv4({ src: s, dst: d as number, protocol: 1, ttl: 64, dscp: 0, ecn: 0, identification: 9, dontFragment: false, moreFragments: false, fragmentOffset: 0, options: new Uint8Array(0), payloadLength: len }, buf);
      emitIcmpv4(repr, buf.subarray(20));
      return buf;
    }
    const buf = new Uint8Array(40 + len);
    emitIpv6({ src: s, dst: d as Uint8Array, nextHeader: 58, hopLimit: 64, trafficClass: 0, flowLabel: 0, payloadLength: len }, buf);
    emitIcmpv6(repr, buf.subarray(40), { src: s, dst: d as Uint8Array });
    return buf;
  }

  /** An established active open from B to `peer`:80; its events are recorded. */
  function open(h: Host, peer: string): { e: StackConnection; events: TcpEvent[] } {
    const e = h.stack.openConnection({ remoteAddress: addr(peer), remotePort: 80 });
    const syn = h.out()[0]?.tcp;
    h.in(tcpPacket({ src: peer, dst: formatAddress(e.localAddress), srcPort: 80, dstPort: e.localPort, seq: 5000, ack: (syn?.seq ?? 0) + 1, flags: SYN | ACK, options: [MSS] }));
    h.out();
    const events: TcpEvent[] = [];
    e.attach({ handleEvent: (ev) => events.push(ev), onTimer: () => undefined });
    h.out(); // the events from before attach() ('connected') are replayed here
    assert.equal(e.conn.state, TcpState.Established);
    events.length = 0;
    return { e, events };
  }

  function sendData(h: Host, e: StackConnection, n: number): Uint8Array[] {
    e.conn.setNoDelay(true);
    e.conn.send(new Uint8Array(n).fill(0x61));
    e.kick();
    return h.raw();
  }

  test('an ICMP error reaches the connection whose segment it quotes: soft errors are reported, port unreachable aborts (MUST-54, MUST-55, MUST-56, SHLD-25, SHLD-26)', () => {
    const h = new Host();
    const { e, events } = open(h, A);
    const [data] = sendData(h, e, 100);
    assert.ok(data);
    const seq = decode(data).tcp?.seq;
    const quoted = data.slice(0, 28); // the IP header and the first 8 bytes of TCP (RFC 792)
    const router = '10.0.0.254';
    h.in(icmpError(router, B, 3, 1, 0, quoted)); // host unreachable: soft
    h.in(icmpError(router, B, 11, 0, 0, quoted)); // TTL exceeded in transit: soft
    h.in(icmpError(router, B, 4, 0, 0, quoted)); // source quench: silently discarded
    h.out();
    assert.deepEqual(events, [
      { type: 'icmp-error', notice: { kind: 'unreachable', code: 1, seq } },
      { type: 'icmp-error', notice: { kind: 'time-exceeded', seq } },
    ]);
    assert.equal(e.conn.state, TcpState.Established);
    // An error quoting another 4-tuple (here: another local port) is not this connection's.
    const other = quoted.slice();
    other[20] = (other[20] as number) ^ 0x01;
    h.in(icmpError(router, B, 3, 3, 0, other));
    h.out();
    assert.equal(e.conn.state, TcpState.Established);
    assert.equal(h.stack.counters.drops['icmp-ignored'], 1);
    // Port unreachable from the peer is a hard error: the connection is aborted and reported.
    h.in(icmpError(A, B, 3, 3, 0, quoted));
    h.out();
    assert.deepEqual(events.at(-1), { type: 'reset', reason: 'icmp-unreachable' });
    assert.equal(h.stack.connectionCount, 0);
  });

  test('ICMPv6 errors reach the connection too: address unreachable is reported, port unreachable aborts (MUST-54)', () => {
    const h = new Host();
    const { e, events } = open(h, 'fd00::1');
    const [data] = sendData(h, e, 100);
    assert.ok(data);
    const seq = decode(data).tcp?.seq;
    h.in(icmpError('fd00::fe', 'fd00::2', 1, 3, 0, data)); // address unreachable: soft
    h.out();
    assert.deepEqual(events, [{ type: 'icmp-error', notice: { kind: 'unreachable', code: 1, seq } }]);
    h.in(icmpError('fd00::1', 'fd00::2', 1, 4, 0, data)); // port unreachable: hard
    h.out();
    assert.deepEqual(events.at(-1), { type: 'reset', reason: 'icmp-unreachable' });
    assert.equal(e.conn.state, TcpState.Closed);
  });

  test('fragmentation needed and packet too big make the quoted connection send smaller segments (MUST-54, RFC 1191, RFC 8201)', () => {
    for (const [peer, router, icmp, mtu, payload] of [
      [A, '10.0.0.254', [3, 4], 1000, 1000 - 40],
      ['fd00::1', 'fd00::fe', [2, 0], 1280, 1280 - 60],
    ] as const) {
      const h = new Host();
      const { e } = open(h, peer);
      const first = sendData(h, e, 4000);
      assert.equal(decode(first[0] ?? new Uint8Array()).tcp?.payload.length, peer === A ? 1460 : 1440);
      const bytes = peer === A ? (first[0] ?? new Uint8Array()).slice(0, 28) : (first[0] ?? new Uint8Array()).slice(0, 1232);
      h.in(icmpError(router, formatAddress(e.localAddress), icmp[0], icmp[1], mtu, bytes));
      const again = h.out().filter((d) => (d.tcp?.payload.length ?? 0) > 0);
      assert.ok(again.length > 0, 'resent at once in smaller segments');
      for (const d of again) assert.ok((d.tcp?.payload.length ?? 0) <= payload, `${d.tcp?.payload.length} > ${payload}`);
      assert.equal(again[0]?.tcp?.payload.length, payload);
    }
  });
});

describe('address validation (3.9.2.3)', () => {
  test('a SYN to a broadcast or multicast address is silently discarded, even with a listener on every address (MUST-57)', () => {
    const h = new Host();
    h.stack.createServer().listen(80);
    for (const dst of ['255.255.255.255', '224.0.0.1', '239.1.2.3']) h.in(tcpPacket({ src: A, dst, srcPort: 4000, dstPort: 80, seq: 1, flags: SYN }));
    h.in(tcpPacket({ src: 'fd00::1', dst: 'ff02::1', srcPort: 4000, dstPort: 80, seq: 1, flags: SYN }));
    assert.deepEqual(h.out(), []);
    assert.equal(h.stack.connectionCount, 0);
    assert.equal(h.stack.counters.resetsSent, 0);
  });

  test('a SYN from an invalid source address (RFC 1122 3.2.1.3) is ignored, not answered (MUST-63)', () => {
    const h = new Host();
    h.stack.createServer().listen(80);
    const v4 = ['255.255.255.255', '224.0.0.5', '0.0.0.0', '0.1.2.3', '127.0.0.1', '127.8.9.10'];
    const v6 = ['ff02::1', '::', '::1', '::ffff:10.0.0.1'];
    for (const src of v4) h.in(tcpPacket({ src, dst: B, srcPort: 4000, dstPort: 80, seq: 1, flags: SYN }));
    for (const src of v6) h.in(tcpPacket({ src, dst: 'fd00::2', srcPort: 4000, dstPort: 80, seq: 1, flags: SYN }));
    // The same to a closed port: no RST either.
    h.in(tcpPacket({ src: '224.0.0.5', dst: B, srcPort: 4000, dstPort: 9, seq: 1, flags: SYN }));
    assert.deepEqual(h.out(), []);
    assert.equal(h.stack.connectionCount, 0);
    assert.equal(h.stack.counters.drops['ip-bad-source'], v4.length + v6.length + 1);
    // A valid source still gets its SYN,ACK; and on a loopback interface loopback sources are valid.
    h.in(tcpPacket({ src: A, dst: B, srcPort: 4000, dstPort: 80, seq: 1, flags: SYN }));
    assert.equal(h.out()[0]?.tcp?.flags, SYN | ACK);
    const lo = new Host({ interfaces: [{ name: 'lo', addresses: ['127.0.0.1', '::1'] }] });
    lo.stack.createServer().listen(80);
    lo.in(tcpPacket({ src: '127.0.0.1', dst: '127.0.0.1', srcPort: 4000, dstPort: 80, seq: 1, flags: SYN }));
    lo.in(tcpPacket({ src: '::1', dst: '::1', srcPort: 4000, dstPort: 80, seq: 1, flags: SYN }));
    assert.deepEqual(lo.out().map((d) => d.tcp?.flags), [SYN | ACK, SYN | ACK]);
  });
});

describe('ISN secret (3.4.1)', () => {
  test('each Node stack draws its own secret ISN key from crypto: one 4-tuple at one time gets unrelated ISNs (MUST-9)', () => {
    const isns = [0, 1, 2].map(() => {
      const s = createNodeStack({ interfaces: [{ addresses: [B] }], clock: () => 1000 });
      s.openConnection({ remoteAddress: addr(A), remotePort: 80, localPort: 40000 });
      const [o] = s.poll(1000);
      return decode(o?.packet ?? new Uint8Array()).tcp?.seq;
    });
    assert.equal(new Set(isns).size, 3, `ISNs ${isns.join(', ')}`);
  });
});

describe('options through the IP layer (3.1, 3.2)', () => {
  test('an illegal option length through the IP layer: a SYN is refused with a reset, a live connection is reset, nothing throws (MUST-7)', () => {
    /** A TCP packet whose first option (an unknown kind 99 with 2 data bytes) claims length `len`. */
    const bad = (spec: Parameters<typeof tcpPacket>[0], len: number): Uint8Array => {
      const p = tcpPacket({ ...spec, options: [{ kind: 99, name: 'unknown', data: Uint8Array.of(0, 0) }] });
      p[20 + 21] = len;
      const seg = new TcpPacket(p.subarray(20));
      seg.fillChecksum({ src: addr(spec.src) as number, dst: addr(spec.dst) as number });
      return p;
    };
    const h = new Host();
    h.stack.createServer().listen(80);
    h.in(bad({ src: A, dst: B, srcPort: 4000, dstPort: 80, seq: 10, flags: SYN }, 0));
    const [r] = h.out();
    assert.deepEqual([r?.tcp?.flags, r?.tcp?.seq, r?.tcp?.ack], [RST | ACK, 0, 11]);
    assert.equal(h.stack.counters.drops['listen-option-error'], 1);
    assert.equal(h.stack.connectionCount, 0);
    const c = handshake(h, { srcPort: 4001 });
    h.in(bad({ src: A, dst: B, srcPort: 4001, dstPort: 80, seq: c.seq, ack: c.ack, flags: ACK | PSH, payload: 'x' }, 200));
    const out = h.out(10);
    assert.equal(out.at(-1)?.tcp?.flags, RST);
    assert.equal(h.stack.connectionCount, 0);
  });

  test('a SYN whose options are unaligned and partly unknown is answered and its MSS honoured (MUST-4, MUST-5, MUST-6, MUST-64)', () => {
    const h = new Host();
    const got: Uint8Array[] = [];
    h.stack.createServer((s) => s.write(new Uint8Array(3000).fill(1))).listen(80);
    // NOP, unknown kind 254 of length 5 (so MSS starts at offset 26), MSS 1000, EOL.
    const options = [{ kind: 1, name: 'nop' }, { kind: 254, name: 'unknown', data: Uint8Array.of(1, 2, 3) }, { kind: 2, name: 'mss', mss: 1000 }, { kind: 0, name: 'eol' }] as const;
    h.in(tcpPacket({ src: A, dst: B, srcPort: 4000, dstPort: 80, seq: 1, flags: SYN, options }));
    const [synAck] = h.out();
    assert.equal(synAck?.tcp?.flags, SYN | ACK);
    h.in(tcpPacket({ src: A, dst: B, srcPort: 4000, dstPort: 80, seq: 2, ack: (synAck?.tcp?.seq ?? 0) + 1, flags: ACK }));
    for (const d of h.out(10)) if (d.tcp && d.tcp.payload.length > 0) got.push(d.tcp.payload);
    assert.ok(got.length >= 2);
    assert.equal(got[0]?.length, 1000);
    assert.ok(got.every((p) => p.length <= 1000));
  });
});
