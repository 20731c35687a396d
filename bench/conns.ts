/**
 * `synack conns` benchmark: a generated capture of --frames frames (default 1,000,000) in 10,000
 * TCP connections (handshake, data with ACKs, a retransmission, FIN both ways), analysed by
 * `synack conns --json` in a child process beside `tshark -q -z conv,tcp` on the same file in
 * the same run: frames per second, the ratio (target: synack at least 10x tshark), peak memory.
 * Also the tracker alone in this process (no output), to separate analysis from JSON printing: fed
 * packets as `synack conns` reads (feedCapturePackets into frameMemory, ConnTracker.pushPacket),
 * and fed records as explain and ladder read (readCaptureBatches, ConnTracker.push).
 *
 * The file is generated once in the OS temp dir (sk-conns-bench-N.pcap) from real, checksummed
 * Ethernet/IPv4/TCP frames made by synack's wire emitters.
 */
import { existsSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConnTracker } from '../src/analyze/conns.js';
import { frameMemory } from '../src/analyze/conns-segment.js';
import { feedCapturePackets, PACKET_READ_BLOCK } from '../src/cli/capture-input.js';
import { CaptureFileWriter, readCaptureBatches } from '../src/capture/node.js';
import { emitEthernet, EtherType } from '../src/wire/ethernet.js';
import { emitIpv4, IPV4_DEFAULTS, IpProtocol } from '../src/wire/ipv4.js';
import { emitTcp, TcpFlag, type TcpRepr } from '../src/wire/tcp.js';
import { type Benchmark, type BenchContext, type BenchRow, onPath, timeProcess } from './lib.js';
import { buildCli } from './decode.js';

const CONNECTIONS = 10_000;
const ROOT = fileURLToPath(new URL('..', import.meta.url));

const MAC_A = new Uint8Array([2, 0, 0, 0, 0, 0xa]);
const MAC_B = new Uint8Array([2, 0, 0, 0, 0, 0xb]);

function frame(src: number, dst: number, repr: TcpRepr): Uint8Array {
  const tcpLen = 20 + repr.payload.length;
  const out = new Uint8Array(14 + 20 + tcpLen);
  emitEthernet({ dst: MAC_B, src: MAC_A, vlans: [], etherType: EtherType.IPV4 }, out);
  emitIpv4({ ...IPV4_DEFAULTS, src, dst, protocol: IpProtocol.TCP, payloadLength: tcpLen }, out.subarray(14));
  emitTcp(repr, out.subarray(34), { src, dst });
  return out;
}

/**
 * Connections of `perConn` frames each, interleaved 16 at a time (as on a busy link): SYN,
 * SYN-ACK, ACK, then 1448-byte segments each ACKed, one of them sent twice, then FIN, FIN, ACK.
 */
async function generate(path: string, frames: number): Promise<void> {
  if (existsSync(path)) return;
  const partial = `${path}.${process.pid}.partial`;
  const w = new CaptureFileWriter(partial, { format: 'pcap', linkType: 1 });
  const perConn = Math.max(8, Math.floor(frames / CONNECTIONS));
  const payload = new Uint8Array(1448).fill(0x61);
  const server = 0xc0000202;
  let written = 0;
  let t = 0;
  const write = async (data: Uint8Array): Promise<void> => {
    t += 2000;
    if (!w.write({ tsSec: 1_700_000_000 + Math.floor(t / 1e9), tsNsec: t % 1e9, data })) await w.drain();
    written++;
  };
  for (let base = 0; base < CONNECTIONS && written < frames; base += 16) {
    const group = Array.from({ length: Math.min(16, CONNECTIONS - base) }, (_, i) => base + i);
    for (let step = 0; step < perConn && written < frames; step++) {
      for (const k of group) {
        if (written >= frames) break;
        const client = (0xc0000200 + 0x100 + (k >> 8)) >>> 0;
        const cport = 10000 + (k & 0xff) * 16 + (k % 16);
        const cisn = (k * 2654435761) >>> 0;
        const sisn = (k * 40503 + 17) >>> 0;
        const seg = (from: 'c' | 's', flags: number, seq: number, ack: number, len = 0): Uint8Array => {
          const repr: TcpRepr = {
            srcPort: from === 'c' ? cport : 443,
            dstPort: from === 'c' ? 443 : cport,
            seq: seq >>> 0,
            ack: ack >>> 0,
            flags,
            window: 502,
            urgentPointer: 0,
            options: [],
            payload: len > 0 ? payload : new Uint8Array(0),
          };
          return from === 'c' ? frame(client, server, repr) : frame(server, client, repr);
        };
        const dataSteps = perConn - 6;
        let f: Uint8Array;
        if (step === 0) f = seg('c', TcpFlag.SYN, cisn, 0);
        else if (step === 1) f = seg('s', TcpFlag.SYN | TcpFlag.ACK, sisn, cisn + 1);
        else if (step === 2) f = seg('c', TcpFlag.ACK, cisn + 1, sisn + 1);
        else if (step < 3 + dataSteps) {
          const i = step - 3;
          const n = Math.floor(i / 2);
          if (i % 2 === 0) f = seg('c', TcpFlag.PSH | TcpFlag.ACK, cisn + 1 + (i === 8 ? n - 1 : n) * 1448, sisn + 1, 1448);
          else f = seg('s', TcpFlag.ACK, sisn + 1, cisn + 1 + (n + 1) * 1448);
        } else {
          const end = cisn + 1 + Math.ceil(dataSteps / 2) * 1448;
          const j = step - 3 - dataSteps;
          f = j === 0 ? seg('c', TcpFlag.FIN | TcpFlag.ACK, end, sisn + 1) : j === 1 ? seg('s', TcpFlag.FIN | TcpFlag.ACK, sisn + 1, end + 1) : seg('c', TcpFlag.ACK, end + 1, sisn + 2);
        }
        await write(f);
      }
    }
  }
  await w.close();
  renameSync(partial, path);
}

async function trackerOnly(path: string, via: 'packets' | 'records'): Promise<{ wallMs: number; frames: number; conns: number; heapMb: number }> {
  let conns = 0;
  const t = new ConnTracker({ onConnection: () => conns++ });
  const t0 = process.hrtime.bigint();
  if (via === 'records') {
    for await (const batch of readCaptureBatches(path)) for (const r of batch) t.push(r);
  } else {
    const fed = await feedCapturePackets(path, (p) => t.pushPacket(p), () => Promise.resolve(), frameMemory(2 * PACKET_READ_BLOCK));
    if (fed.damage !== undefined || fed.unreadable !== undefined) throw new Error(fed.damage ?? fed.unreadable);
  }
  t.end();
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return { wallMs, frames: t.stats.frames, conns, heapMb: process.memoryUsage().rss / 1e6 };
}

export const connsBenchmark: Benchmark = {
  name: 'conns',
  title: `synack conns --json vs tshark -q -z conv,tcp on a generated capture (${CONNECTIONS} connections)`,
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const frames = ctx.options.frames;
    const path = join(tmpdir(), `sk-conns-bench-${frames}.pcap`);
    ctx.progress(`conns: generating ${path}`);
    await generate(path, frames);
    const mb = (statSync(path).size / 1e6).toFixed(0);
    const rows: BenchRow[] = [];

    for (const via of ['packets', 'records'] as const) {
      ctx.progress(`conns: tracker in-process, ${via}`);
      await trackerOnly(path, via);
      const inproc = await trackerOnly(path, via);
      rows.push({
        name: `ConnTracker in-process, ${via} (no output)`,
        value: inproc.frames / (inproc.wallMs / 1000),
        unit: 'frames/s',
        note: `${via === 'packets' ? 'pushPacket, as synack conns reads' : 'push, as explain and ladder read'}; ${inproc.conns} connections, ${mb} MB, rss ${inproc.heapMb.toFixed(0)} MB`,
      });
    }

    let theirs = NaN;
    if (onPath('tshark')) {
      ctx.progress('conns: tshark -q -z conv,tcp');
      const t = await timeProcess('tshark', ['-n', '-q', '-z', 'conv,tcp', '-r', path]);
      if (t.status !== 0) throw new Error(`tshark exited ${t.status}: ${t.stderr.trim().slice(-300)}`);
      theirs = frames / (t.wallMs / 1000);
      rows.push({
        name: 'tshark -q -z conv,tcp',
        value: theirs,
        unit: 'frames/s',
        note: `wall ${(t.wallMs / 1000).toFixed(2)} s, cpu ${Number.isFinite(t.cpuMs) ? `${(t.cpuMs / 1000).toFixed(2)} s` : '?'}, peak rss ${Number.isFinite(t.maxRss) ? `${(t.maxRss / 1e6).toFixed(0)} MB` : '?'}`,
      });
    }
    // The command as a user runs it: the CLI built to JavaScript (what the package ships), own process.
    ctx.progress('conns: building the CLI with tsc into bench/out/dist');
    const built = await buildCli();
    for (const [label, extra] of [['synack conns --json', []], ['synack conns --json --no-checksums', ['--no-checksums']]] as const) {
      let best = Infinity;
      let ours: Awaited<ReturnType<typeof timeProcess>> | undefined;
      for (let i = 0; i < ctx.options.runs; i++) {
        ctx.progress(`conns: ${label} (run ${i + 1})`);
        const t = await timeProcess(process.execPath, [built, 'conns', '--json', '--no-progress', ...extra, path], { cwd: ROOT });
        if (t.status !== 0) throw new Error(`synack conns exited ${t.status}: ${t.stderr.trim().slice(-300)}`);
        if (t.wallMs < best) {
          best = t.wallMs;
          ours = t;
        }
      }
      const v = frames / (best / 1000);
      const ratio = v / theirs;
      rows.push({
        name: label,
        value: v,
        unit: 'frames/s',
        ...(Number.isFinite(ratio) ? { ratio } : {}),
        note:
          `${Number.isFinite(ratio) ? `ratio = synack ÷ tshark (target >= 10: ${ratio >= 10 ? 'met' : 'missed'}), ` : ''}` +
          `built CLI, wall ${(best / 1000).toFixed(2)} s, cpu ${ours !== undefined && Number.isFinite(ours.cpuMs) ? `${(ours.cpuMs / 1000).toFixed(2)} s` : '?'}, ` +
          `peak rss ${ours !== undefined && Number.isFinite(ours.maxRss) ? `${(ours.maxRss / 1e6).toFixed(0)} MB` : '?'}`,
      });
    }
    return rows;
  },
};
