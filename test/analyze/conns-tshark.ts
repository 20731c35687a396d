/**
 * tshark as the independent truth for the connection tracker: per frame, its TCP stream index
 * (tshark's conversation, which our connection ids must equal), its tcp.analysis.* flags and the
 * initial RTT. One tshark run per capture, `-T fields` with every flag field (an FT_NONE field
 * prints "1" when present).
 *
 * Counting convention (the brief's, and what `synack conns` reports): tshark adds the
 * tcp.analysis.retransmission expert item to fast and spurious retransmissions as well, so our
 * `retransmission` is tshark's retransmission minus fast_retransmission minus
 * spurious_retransmission. Preferences: TCP checksums verified (tcp.check_checksum:TRUE), so that
 * tcp.checksum_bad.expert marks bad ones; everything else at tshark's defaults.
 *
 * Our side is run both ways the tracker is fed: records (ConnTracker.push, as explain and ladder
 * read) and packets read into frame memory (ConnTracker.pushPacket, as `synack conns` reads, with
 * checksums summed in place); both must match tshark.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ANOMALY_KINDS, anomalyKinds, type AnomalyKind, TSHARK_FIELD } from '../../src/analyze/anomalies.js';
import { type ConnectionRecord, ConnTracker, type ConnTrackerOptions } from '../../src/analyze/conns.js';
import { frameMemory } from '../../src/analyze/conns-segment.js';
import { CaptureDecoder, decodeCapture } from '../../src/capture/decoder.js';
import { CaptureError } from '../../src/capture/errors.js';
import { findTool } from '../kernel/netns.js';
import { isOnesComplementZero } from '../interop/tshark.js';

export interface TsharkTcpFrame {
  readonly frame: number;
  /** tcp.stream, or undefined for frames without TCP. */
  readonly stream: number | undefined;
  readonly irtt: number | undefined;
  readonly kinds: ReadonlySet<AnomalyKind>;
}

export function tsharkAvailable(): boolean {
  return findTool('tshark') !== null;
}

export function tsharkTcp(file: string, extraPrefs: readonly string[] = []): TsharkTcpFrame[] {
  const fields = ['frame.number', 'tcp.stream', 'tcp.analysis.initial_rtt', ...ANOMALY_KINDS.map((k) => TSHARK_FIELD[k]), 'tcp.checksum', 'tcp.checksum_calculated'];
  const args = ['-n', '-r', file, '-o', 'tcp.check_checksum:TRUE', ...extraPrefs, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=f'];
  for (const f of fields) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`tshark failed (${r.status}): ${r.stderr}`);
  const out: TsharkTcpFrame[] = [];
  for (const line of r.stdout.split('\n')) {
    if (line === '') continue;
    const cells = line.split('\t');
    const get = (i: number): string => cells[i] ?? '';
    const kinds = new Set<AnomalyKind>();
    ANOMALY_KINDS.forEach((k, i) => {
      if (get(3 + i) !== '') kinds.add(k);
    });
    // RFC 1071/1624: 0xffff where tshark computes 0x0000 is a good checksum (tshark 4.0 says Bad).
    const k = 3 + ANOMALY_KINDS.length;
    if (isOnesComplementZero(get(k), get(k + 1))) kinds.delete('badChecksum');
    // Our counting: a fast or spurious retransmission is not also a plain retransmission.
    if (kinds.has('fastRetransmission') || kinds.has('spuriousRetransmission')) kinds.delete('retransmission');
    const stream = get(1);
    const irtt = get(2);
    out.push({
      frame: Number(get(0)),
      stream: stream === '' ? undefined : Number(stream),
      irtt: irtt === '' ? undefined : Number(irtt),
      kinds,
    });
  }
  return out;
}

/**
 * Feed a capture to `tracker` as `synack conns` reads a file: copied a read block of `block` bytes
 * at a time into frame memory (or plain memory), each packet handed to pushPacket without a
 * record. Damage ends the feed quietly (the packets before it were pushed).
 */
export function feedPackets(bytes: Uint8Array, tracker: ConnTracker, block = 1 << 20, inFrameMemory = true): void {
  const memory = inFrameMemory ? frameMemory(block) : new Uint8Array(block);
  const decoder = new CaptureDecoder({ onPacket: (p) => tracker.pushPacket(p) });
  try {
    for (let at = 0; at < bytes.length; at += block) {
      const n = Math.min(block, bytes.length - at);
      memory.set(bytes.subarray(at, at + n));
      decoder.push(n === block ? memory : memory.subarray(0, n));
    }
    decoder.end();
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
  }
}

/** trackConnections for the packet path (feedPackets). */
export function trackPackets(bytes: Uint8Array, options: Omit<ConnTrackerOptions, 'onConnection'> = {}, block = 1 << 20, inFrameMemory = true): ConnectionRecord[] {
  const out: ConnectionRecord[] = [];
  const t = new ConnTracker({ ...options, onConnection: (c) => out.push(c) });
  feedPackets(bytes, t, block, inFrameMemory);
  t.end();
  return out;
}

/** Our tracker's per-frame connection id and verdict kinds for a capture file, fed records or packets. */
export function ourTcpFrames(file: string, options: { verifyChecksums?: boolean } = {}, path: 'records' | 'packets' = 'records'): Map<number, { conn: number; kinds: Set<AnomalyKind> }> {
  const out = new Map<number, { conn: number; kinds: Set<AnomalyKind> }>();
  const t = new ConnTracker({
    ...options,
    onFrame: (conn, frame, bits) => out.set(frame, { conn, kinds: new Set(anomalyKinds(bits)) }),
  });
  const bytes = new Uint8Array(readFileSync(file));
  if (path === 'packets') feedPackets(bytes, t);
  else {
    const { records, error } = decodeCapture(bytes);
    if (error !== undefined) throw error;
    for (const r of records) t.push(r);
  }
  t.end();
  return out;
}

/**
 * Frame-by-frame differences between tshark and our tracker: stream index vs connection id, and
 * the set of verdicts. Empty when they agree on every TCP frame.
 */
export function diffWithTshark(file: string): string[] {
  const truth = tsharkTcp(file);
  return [...diffFrames(truth, ourTcpFrames(file, {}, 'records')), ...diffFrames(truth, ourTcpFrames(file, {}, 'packets')).map((d) => `packets: ${d}`)];
}

function diffFrames(truth: readonly TsharkTcpFrame[], ours: ReadonlyMap<number, { conn: number; kinds: Set<AnomalyKind> }>): string[] {
  const diffs: string[] = [];
  for (const f of truth) {
    const o = ours.get(f.frame);
    if (f.stream === undefined) {
      if (o !== undefined) diffs.push(`frame ${f.frame}: not TCP for tshark, connection ${o.conn} for us`);
      continue;
    }
    const ok = o?.kinds ?? new Set<AnomalyKind>();
    const same = o !== undefined && o.conn === f.stream && ok.size === f.kinds.size && [...ok].every((k) => f.kinds.has(k));
    if (!same) diffs.push(`frame ${f.frame}: tshark stream ${f.stream} [${[...f.kinds].join(',')}], ours ${o === undefined ? 'none' : `connection ${o.conn} [${[...ok].join(',')}]`}`);
  }
  return diffs;
}
