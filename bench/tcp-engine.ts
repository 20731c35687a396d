/**
 * TCP engine bulk throughput: two sans-IO engines in one process, the sender's segments handed
 * straight to the receiver (no codec, no checksum, no link), the receiving application reading
 * into one buffer. Measures the engine's per-segment cost alone: what is left for the wire codec
 * and the stack out of a 5 Gbit/s budget. Virtual time advances 10 µs per round; nothing is lost.
 *
 * Rows: payload Gbit/s and segments/s for MTU 1500 with the default options (timestamps, SACK,
 * window scaling, Reno), with plain options and no congestion control, and with MTU 9000.
 */
import { TcpConnection } from '../src/tcp/connection.js';
import type { TcpConfig } from '../src/tcp/config.js';
import type { TcpRepr } from '../src/wire/tcp.js';
import type { Benchmark, BenchContext, BenchRow } from './lib.js';

interface Result {
  readonly bytes: number;
  readonly segments: number;
  readonly ms: number;
}

function bulk(total: number, config: Partial<TcpConfig>): Result {
  const a = TcpConnection.connect({ now: 0, localPort: 40000, remotePort: 80, iss: 0xfffff000, config });
  const b = TcpConnection.listen({ localPort: 80, iss: 12345, config });
  const chunk = new Uint8Array(65536).fill(0x42);
  const sink = new Uint8Array(1 << 20);
  let sent = 0;
  let received = 0;
  let segments = 0;
  let now = 0;
  let shut = false;
  const t0 = performance.now();
  for (let round = 0; !b.eof && round < 50_000_000; round++) {
    now += 0.01;
    if (a.state === 'ESTABLISHED') {
      while (sent < total) {
        const n = a.send(chunk.subarray(0, Math.min(chunk.length, total - sent)));
        if (n === 0) break;
        sent += n;
      }
      if (sent === total && !shut) {
        a.shutdown();
        shut = true;
      }
    }
    let s: TcpRepr | undefined;
    let moved = false;
    while ((s = a.pollTransmit(now))) {
      b.handleSegment(now, s);
      segments++;
      moved = true;
    }
    while (b.readableBytes > 0) received += b.readInto(sink);
    while ((s = b.pollTransmit(now))) {
      a.handleSegment(now, s);
      moved = true;
    }
    if (!moved) {
      const t = Math.min(a.pollAt() ?? Infinity, b.pollAt() ?? Infinity);
      if (t === Infinity) break;
      now = Math.max(now, t);
      a.handleTimeout(now);
      b.handleTimeout(now);
    }
  }
  return { bytes: received, segments, ms: performance.now() - t0 };
}

const CASES: ReadonlyArray<{ name: string; config: Partial<TcpConfig> }> = [
  { name: 'MTU 1500, timestamps+SACK+wscale, Reno', config: {} },
  { name: 'MTU 1500, no options, no congestion control', config: { timestamps: false, sack: false, windowScaling: false, congestionControl: 'none' } },
  { name: 'MTU 9000, defaults', config: { mtu: 9000, sendBufferSize: 1 << 20, recvBufferSize: 1 << 20 } },
];

export const tcpEngineBenchmark: Benchmark = {
  name: 'tcp-engine',
  title: 'TCP engine bulk transfer between two in-process engines (no codec), Gbit/s of payload',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const total = 256 << 20;
    const rows: BenchRow[] = [];
    bulk(16 << 20, {}); // warm-up
    for (const c of CASES) {
      ctx.progress(`tcp-engine: ${c.name}`);
      let best: Result | undefined;
      for (let r = 0; r < Math.max(1, ctx.options.runs); r++) {
        const res = bulk(total, c.config);
        if (!best || res.ms < best.ms) best = res;
      }
      if (!best || best.bytes !== total) {
        rows.push({ name: c.name, value: NaN, unit: 'Gbit/s', note: `transfer incomplete: ${best?.bytes ?? 0} of ${total} bytes` });
        continue;
      }
      const gbps = (best.bytes * 8) / (best.ms / 1000) / 1e9;
      rows.push({ name: c.name, value: gbps, unit: 'Gbit/s', note: `${Math.round(best.segments / (best.ms / 1000))} data segments/s, 256 MiB` });
    }
    return rows;
  },
};
