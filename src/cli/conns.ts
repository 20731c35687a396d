/**
 * `synack conns FILE`: one record per TCP connection of a pcap/pcapng capture, as a table
 * (default) or JSON Lines (--json): Zeek's conn_state and history, client and server, frames,
 * duration, packets and bytes each way, the handshake (frames, initial RTT as tshark measures it,
 * options offered), the close, and anomaly counts as tshark flags them (docs/analyzer.md).
 *
 * Streams the file in constant memory (two 1 MiB read blocks; packets go to the tracker without
 * record objects, checksums are summed where the bytes were read): connections are printed when they finish (in id order,
 * which is tshark's tcp.stream) and forgotten. A progress bar goes to stderr when it is a
 * terminal. A damaged file prints every connection seen before the damage, then one error line
 * naming the byte offset, and exits 2.
 */
import { statSync } from 'node:fs';
import { ANOMALY_KINDS, type AnomalyKind } from '../analyze/anomalies.js';
import { ConnTracker, type ConnectionRecord } from '../analyze/conns.js';
import { frameMemory } from '../analyze/conns-segment.js';
import { type CaptureFeed, feedCapturePackets, PACKET_READ_BLOCK } from './capture-input.js';
import { EXIT, LineWriter, parseFileCommand, usageError } from './output.js';

const USAGE = `usage: synack conns FILE [options]

One record per TCP connection: Zeek's conn_state and history, handshake (RTT, options offered),
close, packets and bytes each way, anomalies as tshark flags them.

options:
      --json               JSON Lines: one object per connection (see docs/analyzer.md)
      --frames             with --json: every frame of each connection with its verdicts
      --max-connections N  connections tracked at once before the least active is reported
                           early (default 100000)
      --no-checksums       do not verify TCP checksums (no badChecksum verdicts, no Zeek 'c')
      --progress           progress bar on stderr even when it is not a terminal
      --no-progress        no progress bar
  -h, --help               this text`;

/** Short names for the table's anomaly column. */
const SHORT: Readonly<Record<AnomalyKind, string>> = {
  retransmission: 'retrans',
  fastRetransmission: 'fast-retrans',
  spuriousRetransmission: 'spurious',
  outOfOrder: 'ooo',
  lostSegment: 'lost',
  ackedUnseen: 'acked-unseen',
  duplicateAck: 'dup-ack',
  zeroWindow: 'zero-win',
  zeroWindowProbe: 'zwp',
  windowFull: 'win-full',
  windowUpdate: 'win-update',
  keepAlive: 'keep-alive',
  portReuse: 'port-reuse',
  badChecksum: 'bad-cksum',
  keepAliveAck: 'ka-ack',
  zeroWindowProbeAck: 'zwp-ack',
};

export async function main(argv: string[]): Promise<number> {
  const args = parseFileCommand('conns', USAGE, argv, {
    json: { type: 'boolean' },
    frames: { type: 'boolean' },
    'max-connections': { type: 'string' },
    'no-checksums': { type: 'boolean' },
    progress: { type: 'boolean' },
    'no-progress': { type: 'boolean' },
  });
  if (args === undefined) return EXIT.OK;
  const { file, values } = args;
  if (values.frames === true && values.json !== true) throw usageError('--frames needs --json');
  let maxConnections: number | undefined;
  if (values['max-connections'] !== undefined) {
    maxConnections = Number(values['max-connections']);
    if (!Number.isInteger(maxConnections) || maxConnections < 1) throw usageError(`--max-connections wants a positive integer, got '${values['max-connections']}'`);
  }
  const json = values.json === true;
  const out = new LineWriter();
  let size = 0;
  try {
    size = statSync(file).size;
  } catch {
    // Reported by the reader below with a clear message.
  }
  const showProgress = values['no-progress'] !== true && (values.progress === true || process.stderr.isTTY === true);
  const progress = showProgress ? new Progress(size) : undefined;

  let headerDone = false;
  const verifyChecksums = values['no-checksums'] !== true;
  const tracker = new ConnTracker({
    keepFrames: values.frames === true,
    verifyChecksums,
    ...(maxConnections !== undefined ? { maxConnections } : {}),
    onConnection: (c) => {
      if (json) {
        out.line(JSON.stringify(c));
        return;
      }
      if (!headerDone) {
        out.line(TABLE_HEADER);
        headerDone = true;
      }
      out.line(tableRow(c));
    },
  });

  // Packets without record objects, read into memory where their checksums are summed in place.
  const memory = verifyChecksums ? frameMemory(2 * PACKET_READ_BLOCK) : new Uint8Array(2 * PACKET_READ_BLOCK);
  let fed: CaptureFeed;
  try {
    fed = await feedCapturePackets(
      file,
      (p) => tracker.pushPacket(p),
      async (bytes) => {
        progress?.update(bytes, tracker.stats.connections);
        await out.flush();
      },
      memory,
    );
  } catch (e) {
    progress?.clear();
    throw e;
  }
  if (fed.unreadable !== undefined) {
    progress?.clear();
    process.stderr.write(fed.unreadable + '\n');
    return EXIT.BAD_INPUT;
  }
  tracker.end();
  progress?.clear();
  if (!json && !headerDone) out.line('no TCP connections');
  await out.flush();
  const s = tracker.stats;
  if (s.evicted > 0) process.stderr.write(`synack: ${s.evicted} connections were reported early because more than ${maxConnections ?? 100000} were open at once (--max-connections)\n`);
  if (fed.damage !== undefined) {
    process.stderr.write(fed.damage + '\n');
    return EXIT.BAD_INPUT;
  }
  return EXIT.OK;
}

const TABLE_HEADER = [
  'id'.padStart(5),
  'client'.padEnd(21),
  'server'.padEnd(21),
  'state'.padEnd(6),
  'history'.padEnd(12),
  'pkts c/s'.padEnd(13),
  'bytes c/s'.padEnd(19),
  'duration'.padStart(10),
  'rtt'.padStart(10),
  'close'.padEnd(14),
  'anomalies',
].join(' ');

function endpoint(e: { ip: string; port: number }): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

function seconds(s: number | null): string {
  if (s === null) return '-';
  if (s < 1) return `${(s * 1000).toFixed(3)}ms`;
  return `${s.toFixed(3)}s`;
}

/** One table line for a connection. */
export function tableRow(c: ConnectionRecord): string {
  const close =
    c.close.how === null
      ? c.notes.some((n) => n.startsWith('capture ended')) ? 'open' : '-'
      : `${c.close.by ?? '?'} ${c.close.how.toUpperCase()}${c.close.halfClose ? ' half' : ''}`;
  const anomalies = ANOMALY_KINDS.filter((k) => c.anomalies[k] > 0)
    .map((k) => `${SHORT[k]} ${c.anomalies[k]}${c.suspected[k] > 0 ? '?' : ''}`)
    .join(', ');
  return [
    String(c.id).padStart(5),
    endpoint(c.client).padEnd(21),
    endpoint(c.server).padEnd(21),
    c.state.padEnd(6),
    (c.history === '' ? '-' : c.history).padEnd(12),
    `${c.sent.client.packets}/${c.sent.server.packets}`.padEnd(13),
    `${c.sent.client.payloadBytes}/${c.sent.server.payloadBytes}`.padEnd(19),
    seconds(c.duration).padStart(10),
    seconds(c.handshake.rtt).padStart(10),
    close.padEnd(14),
    anomalies === '' ? '-' : anomalies,
  ].join(' ');
}

function human(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

/** A one-line progress bar on stderr, redrawn at most ten times a second. */
class Progress {
  private last = 0;
  private drawn = false;
  constructor(private readonly total: number) {}

  update(bytes: number, conns: number): void {
    const now = Date.now();
    if (now - this.last < 100) return;
    this.last = now;
    const width = 30;
    const frac = this.total > 0 ? Math.min(1, bytes / this.total) : 0;
    const fill = Math.round(frac * width);
    const bar = `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${(frac * 100).toFixed(0).padStart(3)}% ${human(bytes)} / ${human(this.total)}  ${conns} connections`;
    process.stderr.write(`\r${bar}`);
    this.drawn = true;
  }

  clear(): void {
    if (this.drawn) process.stderr.write('\r\x1b[K');
    this.drawn = false;
  }
}
