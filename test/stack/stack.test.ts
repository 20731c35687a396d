/**
 * The IP/TCP host (src/stack/stack.ts) driven by hand with crafted packets, in the style of a
 * packet trace: what goes in, what must come out (checked against RFC 9293, RFC 792/4443, RFC
 * 6056), and what is dropped with which reason.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/link/rng.js';
import { AddressNotAvailableError } from '../../src/stack/errors.js';
import { fragmentIpv4 } from '../../src/stack/fragment.js';
import type { TcpSocket } from '../../src/stack/socket.js';
import { ACK, addr, decode, echoRequest, FIN, fragmentIpv6, handshake, Host, PSH, RST, SYN, tcpPacket } from './packets.js';

const A = '10.0.0.1';
const B = '10.0.0.2';

describe('demultiplexing by 4-tuple', () => {
  test('two connections from one host to one port get their own SYN,ACKs, ISNs and data', () => {
    const h = new Host();
    const got = new Map<number, string>();
    h.stack
      .createServer((s: TcpSocket) => {
        s.on('data', (d) => got.set(s.remotePort ?? 0, (got.get(s.remotePort ?? 0) ?? '') + new TextDecoder().decode(d)));
      })
      .listen(80);
    const c1 = handshake(h, { srcPort: 1001, iss: 100 });
    const c2 = handshake(h, { srcPort: 1002, iss: 5000 });
    assert.notEqual(c1.ack, c2.ack, 'each connection has its own ISN (keyed by the 4-tuple, RFC 6528)');
    h.in(tcpPacket({ src: A, dst: B, srcPort: 1002, dstPort: 80, seq: c2.seq, ack: c2.ack, flags: ACK | PSH, payload: 'two' }));
    h.in(tcpPacket({ src: A, dst: B, srcPort: 1001, dstPort: 80, seq: c1.seq, ack: c1.ack, flags: ACK | PSH, payload: 'one' }));
    h.out();
    assert.equal(got.get(1001), 'one');
    assert.equal(got.get(1002), 'two');
    assert.equal(h.stack.connectionCount, 2);
  });

  test('same ports from another source address is another connection (here: an ACK to a listener, answered by RST)', () => {
    const h = new Host();
    h.stack.createServer().listen(80);
    const c = handshake(h, { srcPort: 1001 });
    h.in(tcpPacket({ src: '10.0.0.9', dst: B, srcPort: 1001, dstPort: 80, seq: c.seq, ack: c.ack, flags: ACK, payload: 'x' }));
    const [r] = h.out();
    // RFC 9293 3.10.7.2: an ACK in LISTEN gets <SEQ=SEG.ACK><CTL=RST>.
    assert.equal(r?.tcp?.flags, RST);
    assert.equal(r?.tcp?.seq, c.ack);
    assert.equal(r?.dst, addr('10.0.0.9'));
    assert.equal(h.stack.counters.drops['listen-ack'], 1);
  });

  test('IPv6: a SYN to fd00::2 gets a SYN,ACK with a valid pseudo-header checksum', () => {
    const h = new Host();
    h.stack.createServer().listen(80);
    h.in(tcpPacket({ src: 'fd00::1', dst: 'fd00::2', srcPort: 1234, dstPort: 80, seq: 7, flags: SYN }));
    const [r] = h.out();
    assert.equal(r?.version, 6);
    assert.equal(r?.tcp?.flags, SYN | ACK);
    assert.equal(r?.tcp?.ack, 8);
  });
});

describe('segments to closed ports (RFC 9293 3.10.7.1)', () => {
  test('a SYN gets <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> (SYN and data counted)', () => {
    const h = new Host();
    h.in(tcpPacket({ src: A, dst: B, srcPort: 5555, dstPort: 23, seq: 4294967290, flags: SYN, payload: 'abc' }));
    const [r] = h.out();
    assert.equal(r?.tcp?.flags, RST | ACK);
    assert.equal(r?.tcp?.seq, 0);
    assert.equal(r?.tcp?.ack, (4294967290 + 1 + 3) % 2 ** 32);
    assert.equal(r?.tcp?.srcPort, 23);
    assert.equal(r?.tcp?.dstPort, 5555);
    assert.equal(r?.dst, addr(A));
  });

  test('an ACK segment gets <SEQ=SEG.ACK><CTL=RST>; a RST gets nothing', () => {
    const h = new Host();
    h.in(tcpPacket({ src: A, dst: B, srcPort: 5555, dstPort: 23, seq: 10, ack: 777, flags: ACK | FIN }));
    const [r] = h.out();
    assert.equal(r?.tcp?.flags, RST);
    assert.equal(r?.tcp?.seq, 777);
    h.in(tcpPacket({ src: A, dst: B, srcPort: 5555, dstPort: 23, seq: 10, ack: 777, flags: RST | ACK }));
    assert.deepEqual(h.out(), []);
    assert.equal(h.stack.counters.drops['tcp-closed-port'], 2);
    assert.equal(h.stack.counters.resetsSent, 1);
  });
});

describe('listener backlog', () => {
  test('half-open plus not-yet-accepted connections are bounded by the backlog; extra SYNs are dropped silently', () => {
    const h = new Host();
    const l = h.stack.listen({ port: 80, backlog: 3 });
    for (let i = 0; i < 5; i++) h.in(tcpPacket({ src: A, dst: B, srcPort: 2000 + i, dstPort: 80, seq: i * 1000, flags: SYN }));
    const out = h.out();
    assert.deepEqual(
      out.map((o) => o.tcp?.dstPort),
      [2000, 2001, 2002],
    );
    assert.equal(h.stack.counters.drops['listen-overflow'], 2);
    assert.equal(l.pending, 3);
    // Complete one handshake: it moves to the accept queue and still counts.
    const synAck = out[0]?.tcp;
    h.in(tcpPacket({ src: A, dst: B, srcPort: 2000, dstPort: 80, seq: 1, ack: ((synAck?.seq ?? 0) + 1) >>> 0, flags: ACK }));
    h.out();
    assert.equal(l.queue.length, 1);
    h.in(tcpPacket({ src: A, dst: B, srcPort: 3000, dstPort: 80, seq: 9, flags: SYN }));
    assert.deepEqual(h.out(), []);
    // Accepting frees a slot.
    assert.ok(l.accept());
    h.in(tcpPacket({ src: A, dst: B, srcPort: 3001, dstPort: 80, seq: 9, flags: SYN }));
    assert.equal(h.out()[0]?.tcp?.flags, SYN | ACK);
    // A RST for a half-open connection (exact sequence number) frees its slot too.
    const second = out[1]?.tcp;
    h.in(tcpPacket({ src: A, dst: B, srcPort: 2001, dstPort: 80, seq: 1001, ack: ((second?.seq ?? 0) + 1) >>> 0, flags: RST | ACK }));
    h.out();
    assert.equal(l.pending, 2);
    h.in(tcpPacket({ src: A, dst: B, srcPort: 3002, dstPort: 80, seq: 9, flags: SYN }));
    assert.equal(h.out()[0]?.tcp?.flags, SYN | ACK);
  });

  test('closing a listener resets its pending connections', () => {
    const h = new Host();
    const l = h.stack.listen({ port: 80 });
    h.in(tcpPacket({ src: A, dst: B, srcPort: 2000, dstPort: 80, seq: 1, flags: SYN }));
    const [sa] = h.out();
    l.close();
    const [r] = h.out();
    assert.equal(r?.tcp?.flags, RST);
    assert.equal(r?.tcp?.seq, ((sa?.tcp?.seq ?? 0) + 1) >>> 0);
    assert.equal(h.stack.connectionCount, 0);
  });
});

describe('ephemeral ports (RFC 6056 algorithm 1)', () => {
  test('every connection to one endpoint gets a distinct port inside the range; when the range is used up, EADDRNOTAVAIL', () => {
    const h = new Host({ ephemeralPorts: { low: 50000, high: 50009 } });
    const ports = new Set<number>();
    for (let i = 0; i < 10; i++) {
      const c = h.stack.openConnection({ remoteAddress: addr(A), remotePort: 80 });
      assert.ok(c.localPort >= 50000 && c.localPort <= 50009);
      ports.add(c.localPort);
    }
    assert.equal(ports.size, 10);
    assert.throws(() => h.stack.openConnection({ remoteAddress: addr(A), remotePort: 80 }), AddressNotAvailableError);
    // Another remote endpoint may use the same local ports (the 4-tuple differs).
    assert.ok(h.stack.openConnection({ remoteAddress: addr(A), remotePort: 81 }));
  });

  test('the starting point is random (from the injected generator), so the first port depends on the seed', () => {
    const first = new Set<number>();
    for (let s = 0; s < 20; s++) {
      const h = new Host({ random: new SeededRandom(s) });
      first.add(h.stack.openConnection({ remoteAddress: addr(A), remotePort: 80 }).localPort);
    }
    assert.ok(first.size >= 15, `20 seeds gave only ${first.size} distinct first ports`);
  });

  test('a port with a listener is skipped', () => {
    const h = new Host({ ephemeralPorts: { low: 50000, high: 50001 } });
    h.stack.listen({ port: 50000 });
    for (let i = 0; i < 3; i++) {
      assert.equal(h.stack.openConnection({ remoteAddress: addr(A), remotePort: 80 + i }).localPort, 50001);
    }
  });
});

describe('checksums: damaged packets are dropped, never answered', () => {
  test('every single-bit flip of a SYN to a listening port is dropped (IPv4 header or TCP checksum)', () => {
    const syn = tcpPacket({ src: A, dst: B, srcPort: 1234, dstPort: 80, seq: 1, flags: SYN, options: [{ kind: 2, name: 'mss', mss: 1460 }] });
    const h = new Host();
    h.stack.createServer().listen(80);
    for (let bit = 0; bit < syn.length * 8; bit++) {
      const p = syn.slice();
      p[bit >>> 3] = (p[bit >>> 3] as number) ^ (1 << (bit & 7));
      h.in(p);
      assert.deepEqual(h.out(), [], `bit ${bit} flipped was answered`);
    }
    const d = h.stack.counters.drops;
    const total = Object.values(d).reduce((a, b) => a + b, 0);
    assert.equal(total, syn.length * 8, 'every damaged packet is dropped with a reason');
    assert.ok(d['tcp-bad-checksum'] >= 20 * 8, 'flips in the TCP segment fail the TCP checksum');
    assert.ok(d['ip-bad-checksum'] >= 10 * 8, 'flips in most of the IPv4 header fail its checksum');
    assert.equal(h.stack.connectionCount, 0);
    h.in(syn);
    assert.equal(h.out()[0]?.tcp?.flags, SYN | ACK, 'the undamaged SYN is answered');
  });

  test('a data segment with a bad checksum on an established connection is not delivered', () => {
    const h = new Host();
    let got = '';
    h.stack.createServer((s) => s.on('data', (d) => (got += new TextDecoder().decode(d)))).listen(80);
    const c = handshake(h);
    const p = tcpPacket({ src: A, dst: B, srcPort: c.srcPort, dstPort: 80, seq: c.seq, ack: c.ack, flags: ACK | PSH, payload: 'hello' });
    const bad = p.slice();
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 0x20;
    h.in(bad);
    h.out(100);
    assert.equal(got, '');
    h.in(p);
    h.out(200);
    assert.equal(got, 'hello');
    assert.equal(h.stack.counters.drops['tcp-bad-checksum'], 1);
  });
});

describe('ICMP echo', () => {
  test('IPv4: an echo request is answered with type 0, the same identifier, sequence number and data (RFC 792)', () => {
    const h = new Host();
    const data = new SeededRandom(1).fill(new Uint8Array(56));
    h.in(echoRequest(A, B, 0x1234, 7, data));
    const [r] = h.out();
    assert.equal(r?.protocol, 1);
    assert.equal(r?.src, addr(B));
    assert.equal(r?.dst, addr(A));
    assert.equal(r?.icmp?.type, 0);
    assert.equal(r?.icmp?.code, 0);
    assert.equal(r?.icmp?.rest, (0x1234 << 16) | 7);
    assert.deepEqual(r?.icmp?.payload, data);
  });

  test('IPv6: an echo request is answered with type 129 and a valid pseudo-header checksum (RFC 4443 4.2)', () => {
    const h = new Host();
    const data = new SeededRandom(2).fill(new Uint8Array(32));
    h.in(echoRequest('fd00::1', 'fd00::2', 9, 1, data));
    const [r] = h.out();
    assert.equal(r?.icmp?.type, 129);
    assert.equal(r?.icmp?.rest, (9 << 16) | 1);
    assert.deepEqual(r?.icmp?.payload, data);
  });

  test('requests to an address that is not ours, or from a broadcast source, are dropped', () => {
    const h = new Host();
    h.in(echoRequest(A, '10.0.0.3', 1, 1, new Uint8Array(8)));
    h.in(echoRequest('255.255.255.255', B, 1, 1, new Uint8Array(8)));
    assert.deepEqual(h.out(), []);
    assert.equal(h.stack.counters.drops['ip-not-for-us'], 1);
    assert.equal(h.stack.counters.drops['ip-bad-source'], 1);
  });
});

describe('IPv4 fragment reassembly in the stack', () => {
  const data = new SeededRandom(3).fill(new Uint8Array(3000));
  const whole = echoRequest(A, B, 1, 1, data, 4242);
  const frags = fragmentIpv4(whole, 576);

  test('fragments in order, reversed and shuffled are reassembled: one echo reply with all the data', () => {
    assert.equal(frags.length, 6);
    const rng = new SeededRandom(4);
    const shuffled = [...frags].sort(() => rng.next() - 0.5);
    for (const order of [frags, [...frags].reverse(), shuffled]) {
      const h = new Host();
      for (const [i, f] of order.entries()) {
        h.in(f);
        if (i < order.length - 1) assert.deepEqual(h.out(), []);
      }
      const [r] = h.out();
      assert.deepEqual(r?.icmp?.payload, data);
      assert.equal(h.stack.counters.reassembled, 1);
    }
  });

  test('an overlapping fragment discards the datagram (with a reason)', () => {
    const h = new Host();
    const overlap = fragmentIpv4(echoRequest(A, B, 1, 1, data, 4242), 576 + 64)[1] as Uint8Array; // covers 616..1232: overlaps
    h.in(frags.slice(0, 3));
    h.in(overlap);
    h.in(frags.slice(3));
    assert.deepEqual(h.out(), []);
    assert.equal(h.stack.counters.drops['fragment-overlap'], 1);
    assert.ok(h.stack.counters.drops['fragment-discarded'] >= 1, 'later fragments of that datagram are discarded');
  });

  test('an incomplete datagram times out after 30 s; pollAt names that deadline', () => {
    const h = new Host();
    h.in(frags.slice(0, 5), 1000);
    h.out();
    assert.equal(h.stack.pollAt(), 31_000);
    assert.deepEqual(h.out(30_999), []);
    assert.equal(h.stack.counters.drops['fragment-timeout'], 0);
    h.out(31_000);
    assert.equal(h.stack.counters.drops['fragment-timeout'], 1);
    h.in(frags.slice(5), 31_001);
    assert.deepEqual(h.out(), [], 'the last fragment alone does not complete anything');
  });

  test('a TCP segment split into fragments reaches the connection (checksum over the reassembled segment)', () => {
    const h = new Host();
    let got: Uint8Array = new Uint8Array(0);
    h.stack.createServer((s) => s.on('data', (d) => (got = d))).listen(80);
    const c = handshake(h);
    const payload = new SeededRandom(5).fill(new Uint8Array(1400));
    const seg = tcpPacket({ src: A, dst: B, srcPort: c.srcPort, dstPort: 80, seq: c.seq, ack: c.ack, flags: ACK | PSH, payload, id: 99 });
    h.in(fragmentIpv4(seg, 300).reverse());
    h.out(100);
    assert.deepEqual(got, payload);
  });
});

describe('IPv6 fragment reassembly in the stack', () => {
  test('fragments with a fragment header (RFC 8200 4.5) are reassembled: the echo reply carries all the data', () => {
    const data = new SeededRandom(6).fill(new Uint8Array(2000));
    const frags = fragmentIpv6(echoRequest('fd00::1', 'fd00::2', 3, 4, data), 504, 0xabcdef);
    assert.equal(frags.length, 4);
    const h = new Host();
    h.in([frags[2], frags[0], frags[3], frags[1]] as Uint8Array[]);
    const [r] = h.out();
    assert.equal(r?.icmp?.type, 129);
    assert.deepEqual(r?.icmp?.payload, data);
  });

  test('an atomic fragment (offset 0, M=0) is processed on its own (RFC 6946)', () => {
    const data = new Uint8Array(16);
    const [atomic] = fragmentIpv6(echoRequest('fd00::1', 'fd00::2', 3, 5, data), 4096, 1);
    const h = new Host();
    h.in(atomic as Uint8Array);
    assert.equal(h.out()[0]?.icmp?.type, 129);
  });

  test('a fragment whose data length is not a multiple of 8 (M=1) is dropped', () => {
    const frags = fragmentIpv6(echoRequest('fd00::1', 'fd00::2', 3, 4, new Uint8Array(100)), 56, 5);
    const bad = (frags[0] as Uint8Array).slice(0, (frags[0] as Uint8Array).length - 3);
    bad[5] = (bad[5] as number) - 3; // payload length
    const h = new Host();
    h.in(bad);
    assert.equal(h.stack.counters.drops['fragment-bad-length'], 1);
  });
});

describe('robustness of the receive path', () => {
  test('random bytes, truncated packets and wrong versions never throw; each is counted', () => {
    const h = new Host();
    h.stack.createServer().listen(80);
    const rng = new SeededRandom(7);
    const good = tcpPacket({ src: A, dst: B, srcPort: 1, dstPort: 80, seq: 1, flags: SYN });
    let n = 0;
    for (let i = 0; i < 2000; i++) {
      const len = rng.int(80);
      const p = i % 2 === 0 ? rng.fill(new Uint8Array(len)) : good.slice(0, Math.min(len, good.length - 1));
      if (i % 4 === 0 && p.length > 0) p[0] = 0x45;
      h.in(p);
      n++;
      h.out();
    }
    const dropped = Object.values(h.stack.counters.drops).reduce((a, b) => a + b, 0);
    assert.equal(h.stack.counters.packetsIn, n);
    assert.equal(dropped, n, 'everything is dropped with a reason');
    assert.equal(h.stack.connectionCount, 0);
  });

  test('a TCP data offset below 5 or beyond the segment is dropped as malformed', () => {
    const h = new Host();
    h.stack.createServer().listen(80);
    for (const off of [0, 4, 15]) {
      const p = tcpPacket({ src: A, dst: B, srcPort: 1, dstPort: 80, seq: 1, flags: SYN });
      p[20 + 12] = (off << 4) | ((p[20 + 12] as number) & 0x0f);
      h.in(p);
    }
    assert.deepEqual(h.out(), []);
    // Offsets 0 and 4 and 15 fail the view's check before the checksum is looked at.
    assert.equal(h.stack.counters.drops['tcp-malformed'], 3);
  });

  test('sending works for packets the stack answers with valid checksums (decode verifies them)', () => {
    const h = new Host();
    h.in(tcpPacket({ src: A, dst: B, srcPort: 1, dstPort: 9, seq: 1, flags: SYN }));
    const [r] = h.stack.poll(0);
    assert.ok(r);
    assert.equal(decode(r.packet).tcp?.flags, RST | ACK);
  });
});

describe('TIME-WAIT', () => {
  test('a new SYN for a 4-tuple in TIME-WAIT reopens it, with an ISS above the old connection\'s (RFC 9293 3.6.1 MAY-2, RFC 6191)', async () => {
    const { Simulation } = await import('../../src/stack/sim.js');
    const sim = new Simulation({ seed: 2, link: { delay: 10 } });
    const accepted: TcpSocket[] = [];
    sim.b
      .createServer({ allowHalfOpen: true }, (s) => {
        accepted.push(s);
        s.resume();
        if (accepted.length === 1) s.end(); // the server closes first: it will hold TIME-WAIT
      })
      .listen(80);
    const wire: { from: string; flags: number; seq: number }[] = [];
    sim.pair.observe((e) => {
      const t = decode(e.packet).tcp;
      if (t) wire.push({ from: e.from, flags: t.flags, seq: t.seq });
    });
    const c1 = sim.a.connect({ host: B, port: 80, localPort: 40000 });
    c1.resume();
    sim.runUntil(() => c1.destroyed);
    assert.equal(accepted[0]?.tcpState, 'TIME-WAIT');
    const oldMax = Math.max(...wire.filter((w) => w.from === 'b').map((w) => w.seq));
    sim.runFor(1000); // well inside 2 MSL
    const c2 = sim.a.connect({ host: B, port: 80, localPort: 40000 });
    let connected = false;
    c2.on('connect', () => (connected = true));
    sim.runUntil(() => connected && accepted.length === 2);
    assert.ok(connected);
    const synAck = wire.filter((w) => w.from === 'b' && w.flags === (SYN | ACK)).pop();
    assert.ok(synAck && synAck.seq > oldMax, `new ISS ${synAck?.seq} above ${oldMax}`);
  });
});

describe('interfaces', () => {
  test('replies leave through the interface the connection belongs to; no interface of a family is ENETUNREACH', () => {
    const h = new Host({ interfaces: [{ addresses: ['10.0.0.2'] }, { name: 'lan', addresses: ['192.168.1.2'], mtu: 1400 }] });
    h.stack.createServer().listen(80);
    h.stack.receive(0, tcpPacket({ src: '192.168.1.1', dst: '192.168.1.2', srcPort: 5000, dstPort: 80, seq: 1, flags: SYN }), 1);
    const [o] = h.stack.poll(0);
    assert.equal(o?.iface, 1);
    const t = decode(o?.packet ?? new Uint8Array()).tcp;
    assert.equal(t?.flags, SYN | ACK);
    // The MSS offered follows that interface's MTU (MUST-67: MTU - 40).
    assert.deepEqual(t?.options.filter((x) => x.name === 'mss'), [{ kind: 2, name: 'mss', mss: 1360 }]);
    assert.equal(h.stack.interfaces[1]?.name, 'lan');
    const c = h.stack.connect({ host: 'fd00::9', port: 80 });
    let code = '';
    c.on('error', (e: unknown) => (code = (e as { code: string }).code));
    h.stack.poll(1);
    assert.equal(code, 'ENETUNREACH');
  });
});
