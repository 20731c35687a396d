/**
 * Segmentation offload in software (StackOptions.gso, TcpConnection.gsoSegments): a connection
 * hands new data over in bursts of full-sized segments and the stack cuts them into packets.
 *
 * The reference is one-segment-per-call sending (gso: 1), the engine's path that every trace,
 * tshark and kernel test checks. With bursts on, the packets on the wire must be exactly those,
 * byte for byte and at the same virtual times (sequence numbers, IP IDs, PSH and FIN only on the
 * last segment of a burst, CWR only on the first, options, checksums), on clean and faulty links,
 * window- and Nagle-limited flows, ECN with CE marks, and stretch ACKs; and bursts must really
 * happen (fewer calls into the engine for the same packets).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TcpConnection } from '../../src/tcp/connection.js';
import { Simulation, type SimulationOptions } from '../../src/stack/sim.js';
import type { TcpConfig } from '../../src/tcp/config.js';

interface Wire {
  /** Every packet either host sent, with its virtual time, as hex. */
  readonly packets: string[];
  readonly received: number;
  readonly pollCalls: number;
}

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** Runs `fn` and returns how many times any engine's pollTransmit was called meanwhile. */
function countingEngineCalls(fn: () => unknown): number {
  let calls = 0;
  const original = TcpConnection.prototype.pollTransmit;
  TcpConnection.prototype.pollTransmit = function (this: TcpConnection, now: number) {
    calls++;
    return original.call(this, now);
  };
  try {
    fn();
  } finally {
    TcpConnection.prototype.pollTransmit = original;
  }
  return calls;
}

/** A sends `bytes` to B in `write`-sized writes, B echoes nothing and closes on EOF. */
function run(gso: number, o: { seed: number; bytes: number; write: number; link?: SimulationOptions['link']; tcp?: Partial<TcpConfig>; receiveBatch?: number; noDelay?: boolean }): Wire {
  const host = { stack: { gso }, ...(o.tcp !== undefined ? { tcp: o.tcp } : {}) };
  const sim = new Simulation({ seed: o.seed, a: host, b: host, ...(o.link !== undefined ? { link: o.link } : {}), ...(o.receiveBatch !== undefined ? { receiveBatch: o.receiveBatch } : {}) });
  const packets: string[] = [];
  sim.a.onTransmit = (t) => packets.push(`${sim.scheduler.now()} A ${hex(t.packet)}`);
  sim.b.onTransmit = (t) => packets.push(`${sim.scheduler.now()} B ${hex(t.packet)}`);
  const data = new Uint8Array(o.bytes).map((_, i) => (i * 7 + (i >>> 8)) & 0xff);
  let received = 0;
  let closed = false;
  sim.b.createServer((s) => {
    s.on('data', (d: Uint8Array) => {
      for (let i = 0; i < d.length; i++) assert.equal(d[i], data[received + i], `byte ${received + i}`);
      received += d.length;
    });
    s.on('end', () => s.end());
  }).listen(80);
  const c = sim.a.connect({ host: '10.0.0.2', port: 80 });
  if (o.noDelay === false) c.setNoDelay(false);
  let written = 0;
  const pump = (): void => {
    while (written < data.length) {
      const n = Math.min(o.write, data.length - written);
      const ok = c.write(data.subarray(written, written + n));
      written += n;
      if (!ok) return;
    }
    c.end();
  };
  c.on('connect', pump);
  c.on('drain', pump);
  c.on('close', () => {
    closed = true;
  });
  const pollCalls = countingEngineCalls(() => sim.runUntil(() => closed, { until: 3_600_000 }));
  sim.close();
  assert.ok(closed, 'the connection closed');
  return { packets, received, pollCalls };
}

/** A sends 20 requests of 4 full segments each (MSS 1448 with timestamps); B answers each with one byte. */
function exchange(gso: number): { packets: string[]; pollCalls: number } {
  const sim = new Simulation({ seed: 11, a: { stack: { gso } }, b: { stack: { gso } }, link: { delay: 2 } });
  const packets: string[] = [];
  sim.a.onTransmit = (t) => packets.push(`${sim.scheduler.now()} A ${hex(t.packet)}`);
  sim.b.onTransmit = (t) => packets.push(`${sim.scheduler.now()} B ${hex(t.packet)}`);
  const request = new Uint8Array(4 * 1448).fill(0x61);
  sim.b.createServer((s) => {
    let got = 0;
    s.on('data', (d: Uint8Array) => {
      got += d.length;
      while (got >= request.length) {
        got -= request.length;
        s.write(new Uint8Array([1]));
      }
    });
    s.on('end', () => s.end());
  }).listen(80);
  const c = sim.a.connect({ host: '10.0.0.2', port: 80 });
  let answers = 0;
  let closed = false;
  c.on('connect', () => c.write(request));
  c.on('data', (d: Uint8Array) => {
    answers += d.length;
    if (answers < 20) c.write(request);
    else c.end();
  });
  c.on('close', () => {
    closed = true;
  });
  const pollCalls = countingEngineCalls(() => sim.runUntil(() => closed, { until: 600_000 }));
  sim.close();
  assert.ok(closed && answers === 20, `20 answers (${answers}) and closed`);
  return { packets, pollCalls };
}

const CASES: { name: string; o: Parameters<typeof run>[1] }[] = [
  { name: 'clean link, 1 MiB in 64 KiB writes', o: { seed: 1, bytes: 1 << 20, write: 65536 } },
  { name: 'clean link, stretch ACKs (receive batches of 16)', o: { seed: 2, bytes: 1 << 20, write: 65536, receiveBatch: 16 } },
  { name: '5% loss, 10 ms delay', o: { seed: 3, bytes: 400_000, write: 30_000, link: { loss: 0.05, delay: 10 } } },
  { name: 'reordering, duplication and corruption', o: { seed: 4, bytes: 400_000, write: 50_000, link: { reorder: 0.05, duplicate: 0.05, corrupt: 0.02, delay: 5 } } },
  { name: '20% loss, no SACK, no timestamps', o: { seed: 5, bytes: 200_000, write: 10_000, link: { loss: 0.2 }, tcp: { sack: false, timestamps: false } } },
  { name: 'small receive buffer (window-limited)', o: { seed: 6, bytes: 300_000, write: 7_000, tcp: { recvBufferSize: 6000 } } },
  { name: 'odd writes with Nagle on (short tails)', o: { seed: 7, bytes: 200_000, write: 3_333, noDelay: false, link: { delay: 3 } } },
  { name: 'ECN with CE marks, CUBIC', o: { seed: 8, bytes: 500_000, write: 65536, link: { ce: 0.05, delay: 2 }, tcp: { ecn: 'on', congestionControl: 'cubic' } } },
  { name: 'MTU 9000', o: { seed: 9, bytes: 1 << 20, write: 65536, link: { mtu: 9000, delay: 1 } } },
];

describe('GSO: bursts cut by the stack are the segments one-at-a-time sending makes', () => {
  for (const { name, o } of CASES) {
    it(name, () => {
      const one = run(1, o);
      const burst = run(16, o);
      assert.equal(one.received, o.bytes);
      assert.equal(burst.received, o.bytes);
      assert.equal(burst.packets.length, one.packets.length, 'as many packets');
      for (let i = 0; i < one.packets.length; i++) {
        if (burst.packets[i] !== one.packets[i]) assert.fail(`packet ${i} differs:\n  gso 1:  ${one.packets[i]?.slice(0, 160)}\n  gso 16: ${burst.packets[i]?.slice(0, 160)}`);
      }
      assert.ok(burst.pollCalls < one.pollCalls, `fewer engine calls with bursts (${burst.pollCalls} vs ${one.pollCalls})`);
    });
  }

  it('request/response in whole segments: a burst that empties the buffer has PSH on its last segment only', () => {
    const one = exchange(1);
    const burst = exchange(16);
    assert.deepEqual(burst.packets, one.packets);
    assert.ok(burst.pollCalls < one.pollCalls, `${burst.pollCalls} vs ${one.pollCalls} calls`);
    // Independent of the reference: of each request's 4 data segments, only the last has PSH.
    const flags = burst.packets.filter((p) => p.includes(' A ') && p.length > 200).map((p) => parseInt(p.split(' ')[2]!.slice(66, 68), 16));
    assert.ok(flags.length >= 4 * 20, `${flags.length} data segments from A`);
    for (let i = 0; i < flags.length; i++) assert.equal((flags[i]! & 0x08) !== 0, i % 4 === 3, `PSH on data segment ${i} of A`);
  });

  it('a bulk transfer on a clean link goes out mostly in bursts: under a quarter of the engine calls', () => {
    const o = { seed: 10, bytes: 2 << 20, write: 65536, receiveBatch: 16 };
    const one = run(1, o);
    const burst = run(16, o);
    assert.ok(burst.pollCalls * 4 < one.pollCalls, `${burst.pollCalls} vs ${one.pollCalls} calls`);
  });

  it('rejects a burst size outside 1..64', () => {
    for (const gso of [0, 65, 1.5]) assert.throws(() => new Simulation({ a: { stack: { gso } } }), { code: 'ERR_SYNACK_BAD_ARGUMENT' });
  });
});
