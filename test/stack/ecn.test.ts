/**
 * ECN end to end (RFC 3168) between two Stacks over the in-memory link, whose `ce` fault marks
 * ECN-capable packets Congestion Experienced as a router's AQM would: the handshake negotiates ECN,
 * A's new data goes out ECT(0) in the IP header (pure ACKs and retransmissions do not), B echoes
 * each mark with ECE until A's CWR, A reduces its window without a loss, and every byte arrives.
 * Checked on the packets as they cross the link (their own IP and TCP headers), IPv4 and IPv6.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { WireEvent } from '../../src/link/memory.js';
import { Simulation } from '../../src/stack/sim.js';
import { TcpFlag } from '../../src/wire/tcp.js';

const { SYN, ACK, ECE, CWR } = TcpFlag;

interface Seen {
  readonly from: 'a' | 'b';
  readonly ecn: number;
  readonly flags: number;
  readonly len: number;
  readonly seq: number;
}

/** The IP ECN field, TCP flags, payload length and sequence number of an IPv4 or IPv6 TCP packet. */
function look(e: WireEvent): Seen {
  const p = e.packet;
  const v6 = (p[0] as number) >>> 4 === 6;
  const ecn = v6 ? ((p[1] as number) >>> 4) & 3 : (p[1] as number) & 3;
  const ipLen = v6 ? 40 : ((p[0] as number) & 0x0f) * 4;
  const tcp = p.subarray(ipLen);
  const hl = ((tcp[12] as number) >>> 4) * 4;
  const flags = (((tcp[12] as number) << 8) | (tcp[13] as number)) & 0x1ff;
  const seq = (((tcp[4] as number) << 24) | ((tcp[5] as number) << 16) | ((tcp[6] as number) << 8) | (tcp[7] as number)) >>> 0;
  return { from: e.from, ecn, flags, len: tcp.length - hl, seq };
}

function transfer(o: { ecnA: 'on' | 'passive' | 'off'; ecnB: 'on' | 'passive' | 'off'; ce: number; ipv6?: boolean; bytes?: number }) {
  const sim = new Simulation({
    seed: 5,
    link: { delay: 5, aToB: { delay: 5, ce: o.ce } },
    a: { tcp: { ecn: o.ecnA }, ...(o.ipv6 === true ? { addresses: ['fd00::1'] } : {}) },
    b: { tcp: { ecn: o.ecnB }, ...(o.ipv6 === true ? { addresses: ['fd00::2'] } : {}) },
  });
  const seen: Seen[] = [];
  sim.pair.observe((e) => seen.push(look(e)));
  const total = o.bytes ?? 2_000_000;
  let received = 0;
  let closed = 0;
  const server = sim.b.createServer((s) => {
    s.on('data', (d) => {
      received += d.length;
    });
    s.on('end', () => s.end());
    s.on('close', () => closed++);
  });
  server.listen(80);
  const c = sim.a.connect({ host: o.ipv6 === true ? 'fd00::2' : '10.0.0.2', port: 80 });
  const chunk = new Uint8Array(64 * 1024).fill(0x5a);
  let written = 0;
  const pump = (): void => {
    while (written < total) {
      const n = Math.min(chunk.length, total - written);
      written += n;
      if (!c.write(chunk.subarray(0, n))) return;
    }
    c.end();
  };
  c.on('connect', pump);
  c.on('drain', pump);
  c.on('close', () => closed++);
  const counters = { a: c.tcpCounters };
  sim.runUntil(() => closed === 2, { until: 600_000 });
  const ceMarked = sim.pair.aToB.stats.ceMarked;
  sim.close();
  return { seen, received, total, closed, a: counters.a, ceMarked };
}

for (const ipv6 of [false, true]) {
  describe(`ECN between two stacks over ${ipv6 ? 'IPv6' : 'IPv4'}`, () => {
    test('negotiated: ECT(0) on new data only, CE echoed with ECE until CWR, the window reduced without a loss', () => {
      const r = transfer({ ecnA: 'on', ecnB: 'passive', ce: 0.02, ipv6 });
      assert.equal(r.received, r.total, 'every byte arrived');
      const syn = r.seen.find((s) => s.from === 'a' && (s.flags & (SYN | ACK)) === SYN);
      const synAck = r.seen.find((s) => s.from === 'b' && (s.flags & (SYN | ACK)) === (SYN | ACK));
      assert.equal(syn !== undefined && syn.flags & (ECE | CWR), ECE | CWR, 'ECN-setup SYN');
      assert.equal(synAck !== undefined && synAck.flags & (ECE | CWR), ECE, 'ECN-setup SYN-ACK');
      assert.ok(syn !== undefined && syn.ecn === 0 && synAck !== undefined && synAck.ecn === 0, 'SYN and SYN-ACK are not ECN-capable');
      const data = r.seen.filter((s) => s.from === 'a' && s.len > 0);
      const sent = new Set<number>();
      for (const d of data) {
        const again = sent.has(d.seq);
        sent.add(d.seq);
        // New data: ECT(0) (10) or, after the link marked it, CE (11); a retransmission: neither.
        if (again) assert.equal(d.ecn, 0, `retransmission of ${d.seq} is not ECN-capable`);
        else assert.ok(d.ecn === 2 || d.ecn === 3, `new data at ${d.seq} is ECN-capable (field ${d.ecn})`);
      }
      const acks = r.seen.filter((s) => s.from === 'b' && s.len === 0 && (s.flags & SYN) === 0);
      assert.ok(acks.every((s) => s.ecn === 0), "B's pure ACKs are not ECN-capable");
      assert.ok(r.ceMarked > 0, 'the link marked some packets');
      assert.ok(acks.some((s) => (s.flags & ECE) !== 0), 'B echoed the marks');
      assert.ok(data.some((s) => (s.flags & CWR) !== 0), 'A answered with CWR');
      assert.ok((r.a?.ecnReductions ?? 0) > 0, 'A reduced its window');
      assert.equal(r.a?.retransmissions ?? -1, 0, 'no loss, so nothing was sent again');
    });

    test('a peer with ECN off: no ECE in the SYN-ACK, nothing ECN-capable, marks are never set', () => {
      const r = transfer({ ecnA: 'on', ecnB: 'off', ce: 0.5, ipv6, bytes: 200_000 });
      assert.equal(r.received, r.total);
      assert.ok(r.seen.every((s) => s.ecn === 0), 'not one ECN-capable packet');
      assert.equal(r.ceMarked, 0);
      assert.ok(r.seen.every((s) => (s.flags & ECE) === 0 || (s.flags & SYN) !== 0), 'no ECN-Echo');
    });
  });
}
