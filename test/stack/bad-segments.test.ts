/**
 * Bad segments end to end: while A and B exchange data both ways, crafted segments on the
 * connection's own 4-tuple are injected into each host, built from the connection's current
 * sequence numbers so that each one tests a rule rather than an obviously foreign packet:
 *
 *  - a bad TCP checksum (RFC 9293 3.1), an impossible data offset;
 *  - data far outside the receive window, and an old duplicate with different bytes (Table 6);
 *  - data at exactly RCV.NXT that acknowledges unsent data (RFC 5961 5: drop, challenge ACK);
 *  - SYN+FIN at RCV.NXT (RFC 5961 4: challenge ACK);
 *  - RST in the window but not at RCV.NXT, and RST outside it (RFC 5961 3);
 *  - random bytes from the peer's address.
 *
 * None may crash a stack, reset the connection, or change a byte of the stream: the SHA-256 of
 * what each side read must equal that of what the other wrote.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { SeededRandom } from '../../src/link/rng.js';
import { Simulation } from '../../src/stack/sim.js';
import type { Stack } from '../../src/stack/stack.js';
import type { TcpSocket } from '../../src/stack/socket.js';
import { ACK, FIN, PSH, RST, SYN, tcpPacket } from './packets.js';

const EVIL = 'EVIL';

function badSegments(o: { from: string; to: string; fromPort: number; toPort: number; rcvNxt: number; sndNxt: number; rcvWnd: number }, rng: SeededRandom): Uint8Array[] {
  const base = { src: o.from, dst: o.to, srcPort: o.fromPort, dstPort: o.toPort };
  const out: Uint8Array[] = [];
  // Bad checksum on an otherwise perfect in-order segment.
  const good = tcpPacket({ ...base, seq: o.rcvNxt, ack: o.sndNxt, flags: ACK | PSH, payload: EVIL });
  const badSum = good.slice();
  badSum[good.length - 1] = (badSum[good.length - 1] as number) ^ 0x01;
  out.push(badSum);
  // Data offsets 3 (below 5) and 15 (60 bytes: beyond this segment).
  for (const off of [3, 15]) {
    const p = good.slice();
    p[32] = (off << 4) | ((p[32] as number) & 0x0f);
    out.push(p);
  }
  // Far outside the window.
  out.push(tcpPacket({ ...base, seq: (o.rcvNxt + o.rcvWnd + 100_000) >>> 0, ack: o.sndNxt, flags: ACK | PSH, payload: EVIL }));
  // An old duplicate: bytes just before RCV.NXT, but different ones.
  out.push(tcpPacket({ ...base, seq: (o.rcvNxt - 4) >>> 0, ack: o.sndNxt, flags: ACK | PSH, payload: EVIL }));
  // In-order data acknowledging data never sent.
  out.push(tcpPacket({ ...base, seq: o.rcvNxt, ack: (o.sndNxt + 1_000_000) >>> 0, flags: ACK | PSH, payload: EVIL }));
  // SYN+FIN at RCV.NXT.
  out.push(tcpPacket({ ...base, seq: o.rcvNxt, ack: o.sndNxt, flags: SYN | FIN | ACK }));
  // RST in the window but not exact; RST outside the window.
  out.push(tcpPacket({ ...base, seq: (o.rcvNxt + 1) >>> 0, flags: RST }));
  out.push(tcpPacket({ ...base, seq: (o.rcvNxt - 200_000) >>> 0, flags: RST }));
  // Garbage that starts like IPv4 from the peer.
  const junk = rng.fill(new Uint8Array(60));
  junk[0] = 0x45;
  out.push(junk);
  return out;
}

describe('bad segments on a live connection', () => {
  // Without RFC 7323 timestamps each crafted segment reaches the rule it tests; with them (the
  // default), the crafted segments carry no TSopt and are dropped first (RFC 7323 3.2), except RSTs.
  for (const timestamps of [false, true]) {
    test(`none crashes a stack, resets the connection, or changes a byte of either stream (timestamps ${timestamps ? 'on' : 'off'})`, () => {
      const tcp = { timestamps };
      const sim = new Simulation({ seed: 5, link: { delay: 10 }, a: { tcp }, b: { tcp } });
      const rng = new SeededRandom(5);
      const total = 256 * 1024;
      const dataA = rng.fill(new Uint8Array(total));
      const dataB = rng.fill(new Uint8Array(total));
      const gotAtB = createHash('sha256');
      const gotAtA = createHash('sha256');
      let nB = 0;
      let nA = 0;
      const errors: string[] = [];
      let server: TcpSocket | undefined;
      const closed = { a: false, b: false };
      const pace = (s: TcpSocket, data: Uint8Array): void => {
        let off = 0;
        const step = (): void => {
          if (off >= data.length) {
            s.end();
            return;
          }
          s.write(data.subarray(off, off + 4096));
          off += 4096;
          sim.after(10, step);
        };
        step();
      };
      sim.b
        .createServer((s) => {
          server = s;
          s.on('data', (d) => {
            gotAtB.update(d);
            nB += d.length;
          });
          s.on('error', (e) => errors.push(`B ${e.message}`));
          s.on('close', () => (closed.b = true));
          pace(s, dataB);
        })
        .listen(80);
      const c = sim.a.connect({ host: '10.0.0.2', port: 80 });
      c.on('data', (d) => {
        gotAtA.update(d);
        nA += d.length;
      });
      c.on('error', (e) => errors.push(`A ${e.message}`));
      c.on('close', () => (closed.a = true));
      c.on('connect', () => pace(c, dataA));

      const inject = (target: Stack, victim: TcpSocket | undefined, from: string, to: string, fromPort: number | undefined, toPort: number | undefined): number => {
        const info = victim?.tcpInfo();
        if (info === undefined || fromPort === undefined || toPort === undefined || victim?.tcpState !== 'ESTABLISHED') return 0;
        const segs = badSegments({ from, to, fromPort, toPort, rcvNxt: info.rcvNxt, sndNxt: info.sndNxt, rcvWnd: info.rcvWnd }, rng);
        for (const p of segs) target.receive(sim.now(), p);
        return segs.length;
      };
      let injected = 0;
      for (let t = 45; t < 600; t += 37) {
        sim.at(t, () => {
          injected += inject(sim.b, server, '10.0.0.1', '10.0.0.2', c.localPort, 80);
          injected += inject(sim.a, c, '10.0.0.2', '10.0.0.1', 80, c.localPort);
          sim.driverA.service();
          sim.driverB.service();
        });
      }
      const ok = sim.runUntil(() => closed.a && closed.b, { until: 120_000 });
      assert.ok(ok, `did not finish: ${errors.join('; ')}`);
      assert.deepEqual(errors, []);
      assert.ok(injected >= 100, `only ${injected} bad segments injected`);
      assert.equal(nB, total);
      assert.equal(nA, total);
      assert.equal(gotAtB.digest('hex'), createHash('sha256').update(dataA).digest('hex'));
      assert.equal(gotAtA.digest('hex'), createHash('sha256').update(dataB).digest('hex'));
      // Each rule was exercised (stack drops, then the engine's).
      for (const [stack, sock] of [
        [sim.a, c],
        [sim.b, server],
      ] as const) {
        const d = stack.counters.drops;
        assert.ok(d['tcp-bad-checksum'] > 0 && d['tcp-malformed'] > 0, JSON.stringify(d));
        const e = sock?.tcpCounters?.drops;
        assert.ok(e, 'engine counters');
        const reasons = timestamps
          ? (['missing-timestamp', 'rst-not-exact', 'rst-out-of-window'] as const)
          : (['out-of-window', 'ack-unsent', 'syn-in-window', 'rst-not-exact', 'rst-out-of-window'] as const);
        for (const reason of reasons) assert.ok(e[reason] > 0, `${reason}: ${JSON.stringify(e)}`);
        assert.ok((sock?.tcpCounters?.challengeAcks ?? 0) > 0);
      }
    });
  }
});
