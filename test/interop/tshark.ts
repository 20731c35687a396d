/**
 * tshark as an independent reference decoder: runs `tshark -T fields` over a capture and returns
 * one record per frame, each field as the list of its occurrences in the frame (outermost first).
 *
 * Invariant: the field list and preferences are fixed here, so that live tshark output and the
 * committed `*.tshark.tsv` files next to the fixtures have the same shape and meaning:
 * - `tcp.relative_sequence_numbers:FALSE` so seq/ack and SACK edges are the raw wire numbers
 *   (with relative numbers on, tcp.options.sack_le/re are relative to the peer's ISN);
 * - `ip.check_checksum:TRUE`, `tcp.check_checksum:TRUE` so the *.checksum.status fields say
 *   Good (1) / Bad (0) instead of Unverified (2).
 * Field names were checked against `tshark -G fields` of TShark 4.0.17.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { findTool, run } from '../kernel/netns.js';

export const TSHARK_FIELDS = [
  'frame.number',
  'frame.protocols',
  'frame.time_epoch',
  'frame.len',
  'frame.cap_len',
  'eth.src',
  'eth.dst',
  'eth.type',
  'ip.src',
  'ip.dst',
  'ip.ttl',
  'ip.id',
  'ip.flags.df',
  'ip.flags.mf',
  'ip.frag_offset',
  'ip.proto',
  'ip.hdr_len',
  'ip.len',
  'ip.checksum',
  'ip.checksum.status',
  'ipv6.src',
  'ipv6.dst',
  'ipv6.hlim',
  'ipv6.flow',
  'ipv6.tclass',
  'ipv6.nxt',
  'ipv6.plen',
  'tcp.srcport',
  'tcp.dstport',
  'tcp.seq_raw',
  'tcp.ack_raw',
  'tcp.hdr_len',
  'tcp.flags',
  'tcp.window_size_value',
  'tcp.checksum',
  'tcp.checksum.status',
  'tcp.urgent_pointer',
  'tcp.len',
  'tcp.option_kind',
  'tcp.options.mss_val',
  'tcp.options.wscale.shift',
  'tcp.options.sack_le',
  'tcp.options.sack_re',
  'tcp.options.timestamp.tsval',
  'tcp.options.timestamp.tsecr',
] as const;
export type TsharkField = (typeof TSHARK_FIELDS)[number];

export const TSHARK_PREFS = [
  '-o', 'tcp.relative_sequence_numbers:FALSE',
  '-o', 'ip.check_checksum:TRUE',
  '-o', 'tcp.check_checksum:TRUE',
] as const;

/** One frame: every field's occurrences, outermost header first (empty list: field absent). */
export type TsharkFrame = Readonly<Record<TsharkField, readonly string[]>>;

export function tsharkPath(): string | null {
  return findTool('tshark');
}

/**
 * RFC 1624's other zero: a TCP checksum field of 0xffff where tshark computed 0x0000 is the same
 * one's-complement zero (Linux writes it, CSUM_MANGLED_0), which tshark 4.0 calls Bad (and flags
 * tcp.checksum.ffff). A display filter for those segments, and one for the truly bad.
 */
export const ONES_COMPLEMENT_ZERO = 'tcp.checksum == 0xffff && tcp.checksum_calculated == 0x0000';
export const BAD_TCP_CHECKSUM = `tcp.checksum.status == "Bad" && !(${ONES_COMPLEMENT_ZERO})`;

/**
 * tshark 4.0 calls a TCP checksum of 0xffff Bad where it computes 0x0000; RFC 1071 verification
 * (the sum over the segment and pseudo-header is 0xffff) accepts it, as RFC 1624 3 explains: the
 * two are the same one's-complement zero, and Linux writes 0xffff sometimes. The same case as
 * ONES_COMPLEMENT_ZERO, from field values.
 */
export function isOnesComplementZero(checksum: string | undefined, calculated: string | undefined): boolean {
  return checksum !== undefined && calculated !== undefined && Number(checksum) === 0xffff && Number(calculated) === 0;
}

/** Parses `-T fields -E separator=/t -E occurrence=a -E aggregator=,` output (no header line). */
export function parseTsharkFields(text: string, fields: readonly TsharkField[] = TSHARK_FIELDS): TsharkFrame[] {
  const frames: TsharkFrame[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cols = line.split('\t');
    if (cols.length !== fields.length) {
      throw new Error(`tshark output: ${cols.length} columns, expected ${fields.length}: ${line.slice(0, 200)}`);
    }
    const rec = {} as Record<TsharkField, readonly string[]>;
    fields.forEach((f, i) => {
      const v = cols[i] ?? '';
      rec[f] = v === '' ? [] : v.split(',');
    });
    frames.push(rec);
  }
  return frames;
}

/** Runs tshark over `file` with the fixed fields and preferences; returns the raw text. */
export async function tsharkFieldsText(file: string): Promise<string> {
  const tshark = tsharkPath();
  if (tshark === null) throw new Error('tshark not installed (Debian package tshark)');
  const argv = [tshark, '-n', '-r', file, ...TSHARK_PREFS, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a',
    '-E', 'aggregator=,', '-E', 'quote=n', ...TSHARK_FIELDS.flatMap((f) => ['-e', f])];
  const r = await run(argv, { timeoutMs: 60_000 });
  return r.stdout;
}

export async function readTsharkFields(file: string): Promise<TsharkFrame[]> {
  return parseTsharkFields(await tsharkFieldsText(file));
}

/** Numbers of the frames matching a display filter (for checks on what a capture contains). */
export async function tsharkFramesMatching(file: string, displayFilter: string): Promise<number[]> {
  const tshark = tsharkPath();
  if (tshark === null) throw new Error('tshark not installed (Debian package tshark)');
  const r = await run([tshark, '-n', '-r', file, ...TSHARK_PREFS, '-Y', displayFilter, '-T', 'fields', '-e', 'frame.number'],
    { timeoutMs: 60_000 });
  return r.stdout.split('\n').filter((l) => l.trim() !== '').map(Number);
}

export async function tsharkVersion(): Promise<string> {
  const tshark = tsharkPath();
  if (tshark === null) return 'none';
  const r = await run([tshark, '--version'], { timeoutMs: 10_000 });
  return (r.stdout.split('\n')[0] ?? '').trim();
}

/**
 * A committed reference file: comment lines saying how it was made, a `#fields` line, then the
 * tshark rows. Reading it needs no tshark, so the agreement test also runs where tshark is absent.
 */
export async function writeTsharkReference(pcap: string, out: string): Promise<void> {
  const text = await tsharkFieldsText(pcap);
  const header =
    `# tshark reference for ${pcap.split('/').pop() ?? pcap}, made by ${await tsharkVersion()}\n` +
    `# tshark -n -r FILE ${TSHARK_PREFS.join(' ')} -T fields -E separator=/t -E occurrence=a -E aggregator=, -e <fields>\n` +
    `#fields\t${TSHARK_FIELDS.join('\t')}\n`;
  writeFileSync(out, header + text);
}

export function readTsharkReference(path: string): TsharkFrame[] {
  const text = readFileSync(path, 'utf8');
  const fieldsLine = text.split('\n').find((l) => l.startsWith('#fields\t'));
  if (fieldsLine === undefined) throw new Error(`${path}: no #fields line`);
  const fields = fieldsLine.split('\t').slice(1);
  if (fields.join(',') !== TSHARK_FIELDS.join(',')) {
    throw new Error(`${path}: field list differs from TSHARK_FIELDS; regenerate with test/kernel/make-fixtures.ts`);
  }
  return parseTsharkFields(text);
}
