/**
 * TUN device packet rates (issue 5): packets per second through the native addon's batched,
 * non-blocking I/O, both ways, with 64-, 1500- and 9000-byte IP packets (device MTU 9000).
 *
 *   pair            an AF_UNIX SOCK_SEQPACKET pair, one end writing, the other reading: the
 *                   addon + JS cost alone, no IP stack (no root needed)
 *   synack->kernel  write(2) into the TUN device; IPv4 UDP to a non-local address in a namespace
 *                   with forwarding off, so the kernel takes each packet through IP input and
 *                   drops it after the route lookup (no reply, no socket)
 *   kernel->synack  the kernel's ICMP echo replies to a burst of requests (10,000; 2,000 of 9000 B) wait in the
 *                   device's queue (txqueuelen raised); timed from the end of the burst until
 *                   the last reply has been handed to JS: the read path alone
 *   echo            the same bursts end to end: write the requests, read the replies
 *
 * Root is needed for the TUN rows (they report NaN with the reason otherwise). Each measurement
 * takes about a second; the namespace `sk-tun-bench-<pid>` is removed at the end.
 * Runs under bench/run.ts (export tunBenchmark) or alone: `node --import tsx bench/tun.ts`.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TunDevice, openPacketPair, tunUnavailableReason } from '../src/link/tun.js';
import { Icmpv4Type, emitIcmpv4 } from '../src/wire/icmp.js';
import { IPV4_DEFAULTS, IpProtocol, emitIpv4, ipv4Address } from '../src/wire/ipv4.js';
import { emitUdp } from '../src/wire/udp.js';
import type { Benchmark, BenchContext, BenchRow } from './lib.js';

/** Packet sizes, and per size: writes timed, echo bursts and their length. */
const PLAN = [
  { size: 64, writes: 500_000, rounds: 20, burst: 10_000 },
  { size: 1500, writes: 300_000, rounds: 12, burst: 10_000 },
  { size: 9000, writes: 100_000, rounds: 10, burst: 2_000 },
] as const;
const SIZES = PLAN.map((p) => p.size);
/** The device MTU: large enough for the 9000-byte row (a jumbo MTU is what bulk transfers want). */
const MTU = 9000;
const KERNEL = '10.203.0.1';
const PEER = '10.203.0.2';
const BLACKHOLE = '10.204.0.9';

function ip(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', args, { timeout: 10_000, encoding: 'utf8' }, (err, stdout, stderr) => (err === null ? resolve(stdout) : reject(new Error(`ip ${args.join(' ')}: ${stderr.trim() || err.message}`))));
  });
}

function udpPacket(size: number, dst: string): Uint8Array {
  const buf = new Uint8Array(size);
  const payload = new Uint8Array(size - 28).fill(0x42);
  const repr = { ...IPV4_DEFAULTS, src: ipv4Address(PEER), dst: ipv4Address(dst), protocol: IpProtocol.UDP, payloadLength: size - 20 };
  emitIpv4(repr, buf);
  emitUdp({ srcPort: 40000, dstPort: 9, payload }, buf.subarray(20), repr);
  return buf;
}

function echoRequest(size: number): Uint8Array {
  const buf = new Uint8Array(size);
  emitIpv4({ ...IPV4_DEFAULTS, src: ipv4Address(PEER), dst: ipv4Address(KERNEL), protocol: IpProtocol.ICMP, payloadLength: size - 20 }, buf);
  emitIcmpv4({ type: Icmpv4Type.ECHO_REQUEST, code: 0, rest: 0x53410001, payload: new Uint8Array(size - 28).fill(0x61) }, buf.subarray(20));
  return buf;
}

const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function rateRow(name: string, packets: number, ms: number, size: number, note: string): BenchRow {
  const pps = (packets / ms) * 1000;
  return { name, value: pps, unit: 'packets/s', note: `${((pps * size * 8) / 1e9).toFixed(2)} Gbit/s of IP; ${note}` };
}

function failedRow(name: string, why: string): BenchRow {
  return { name, value: Number.NaN, unit: 'packets/s', note: why };
}

/**
 * Seqpacket pair: N packets written and read back. The writer yields every 256 packets and waits
 * while more than 2048 wait in the native queue (as a real sender would: past the queue limit the
 * link drops).
 */
async function pairRate(size: number, n: number): Promise<{ ms: number; batches: number }> {
  const [a, b] = openPacketPair();
  try {
    let got = 0;
    const pkt = udpPacket(size, BLACKHOLE);
    b.onPackets((ps) => {
      got += ps.length;
    });
    const t0 = nowMs();
    const deadline = t0 + 30_000;
    let accepted = 0;
    for (let i = 0; i < n; i++) {
      if (a.send(pkt)) accepted++;
      if ((i & 255) === 255) {
        await tick();
        while (a.sendQueueLength > 2048 && nowMs() < deadline) await tick();
      }
    }
    while (got < accepted && nowMs() < deadline) await tick();
    if (got < n) throw new Error(`pair: ${got} of ${n} packets arrived (${n - accepted} dropped by the sender's queue)`);
    return { ms: nowMs() - t0, batches: b.stats().rxBatches };
  } finally {
    a.close();
    b.close();
  }
}

async function tunRows(ctx: BenchContext): Promise<BenchRow[]> {
  const why = tunUnavailableReason();
  const names = SIZES.flatMap((s) => [`tun synack->kernel ${s} B`, `tun kernel->synack ${s} B`, `tun echo round trip ${s} B`]);
  if (why !== undefined) return names.map((n) => failedRow(n, why));
  const ns = `sk-tun-bench-${process.pid}`;
  await ip(['netns', 'add', ns]);
  let dev: TunDevice | undefined;
  try {
    dev = await TunDevice.open({ name: 'sktunbench', netns: ns, address: `${KERNEL}/24`, peer: PEER, mtu: MTU, txQueueLength: 40_000 });
    const d = dev;
    const rows: BenchRow[] = [];
    let replies = 0;
    d.onPackets((ps) => {
      for (const p of ps) if (p[9] === IpProtocol.ICMP && p[20] === Icmpv4Type.ECHO_REPLY) replies++;
    });
    for (const { size, writes: n, rounds, burst: BURST } of PLAN) {
      // synack -> kernel: dropped by the kernel after IP input (forwarding is off in a new netns).
      const pkt = udpPacket(size, BLACKHOLE);
      for (let i = 0; i < 20_000; i++) d.send(pkt); // warm-up
      ctx.progress(`tun: ${n} writes of ${size} B`);
      const tx0 = d.stats();
      const t0 = nowMs();
      for (let i = 0; i < n; i++) d.send(pkt);
      const wms = nowMs() - t0;
      const tx = d.stats();
      const errors = tx.txErrors - tx0.txErrors + tx.txDropped - tx0.txDropped;
      rows.push(rateRow(`tun synack->kernel ${size} B`, n, wms, size, `write(2) per packet${errors > 0 ? `; ${errors} refused` : ''}`));

      // kernel -> synack and the round trip: bursts of echo requests.
      const req = echoRequest(size);
      ctx.progress(`tun: ${rounds} echo bursts of ${BURST} x ${size} B`);
      let writeMs = 0;
      let drainMs = 0;
      const b0 = d.stats().rxBatches;
      for (let r = 0; r <= rounds; r++) {
        replies = 0;
        const w0 = nowMs();
        for (let i = 0; i < BURST; i++) d.send(req);
        const w1 = nowMs();
        const deadline = w1 + 10_000;
        while (replies < BURST && nowMs() < deadline) await tick();
        const w2 = nowMs();
        if (replies < BURST) throw new Error(`only ${replies} of ${BURST} echo replies came back (${size} B)`);
        if (r === 0) continue; // warm-up round
        writeMs += w1 - w0;
        drainMs += w2 - w1;
      }
      const batches = d.stats().rxBatches - b0;
      const total = rounds * BURST;
      rows.push(rateRow(`tun kernel->synack ${size} B`, total, drainMs, size, `draining queued replies; mean batch ${((total + BURST) / Math.max(1, batches)).toFixed(0)} packets`));
      rows.push(rateRow(`tun echo round trip ${size} B`, total, writeMs + drainMs, size, 'requests written + replies read, per direction'));
    }
    return rows;
  } finally {
    dev?.close();
    await ip(['netns', 'del', ns]).catch(() => undefined);
  }
}

export const tunBenchmark: Benchmark = {
  name: 'tun',
  title: 'packets/s through a Linux TUN device (native batched I/O), both ways, 64 B, 1500 B and 9000 B',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const rows: BenchRow[] = [];
    let addonOk = true;
    for (const { size, writes: n } of PLAN) {
      const name = `pair write+read ${size} B`;
      try {
        ctx.progress(`pair: ${n} x ${size} B`);
        await pairRate(size, 20_000);
        const r = await pairRate(size, n);
        rows.push(rateRow(name, n, r.ms, size, `AF_UNIX seqpacket, addon + JS only; mean batch ${(n / Math.max(1, r.batches)).toFixed(0)}`));
      } catch (e) {
        addonOk = false;
        rows.push(failedRow(name, e instanceof Error ? e.message : String(e)));
      }
    }
    if (addonOk) rows.push(...(await tunRows(ctx)));
    return rows;
  },
};

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rows = await tunBenchmark.run({ options: { frames: 0, runs: 1 }, progress: (m) => process.stderr.write(`[bench] ${m}\n`) });
  for (const r of rows) process.stdout.write(`${r.name.padEnd(30)} ${Number.isFinite(r.value) ? Math.round(r.value).toLocaleString('en').padStart(12) : '-'.padStart(12)} ${r.unit}  ${r.note ?? ''}\n`);
}
