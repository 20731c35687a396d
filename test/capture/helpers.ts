/**
 * Shared test helpers for the capture layer: fixture loading, tshark's TSV output (the independent
 * truth committed next to each fixture), and feeding a decoder in given chunk sizes.
 */
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CaptureDecoder } from '../../src/capture/decoder.js';
import { CaptureError } from '../../src/capture/errors.js';
import type { CaptureRecord, DecoderOptions } from '../../src/capture/types.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/capture/', import.meta.url));
export const SEED = fileURLToPath(new URL('../fixtures/kb172983.pcap', import.meta.url));

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(name.startsWith('/') ? name : FIXTURES + name));
}

/** Rows of a tshark `-T fields -E header=y` file, as objects keyed by field name. */
export function tsv(name: string): Record<string, string>[] {
  const lines = readFileSync(FIXTURES + name, 'utf8').split('\n').filter((l) => l.length > 0);
  const head = (lines[0] ?? '').split('\t');
  return lines.slice(1).map((l) => {
    const cells = l.split('\t');
    return Object.fromEntries(head.map((h, i) => [h, cells[i] ?? '']));
  });
}

/** "1700000000.123456789" -> exact [sec, nsec]; "" (no timestamp) -> [0, 0]. */
export function epoch(text: string): [number, number] {
  if (text === '') return [0, 0];
  const [s, f = ''] = text.split('.');
  return [Number(s), Number(f.padEnd(9, '0').slice(0, 9))];
}

export interface Decoded {
  records: CaptureRecord[];
  error: CaptureError | undefined;
  decoder: CaptureDecoder;
}

/** Feed `bytes` to a fresh decoder in chunks of the given sizes (cycled), then end(). */
export function decodeInChunks(bytes: Uint8Array, sizes: readonly number[] = [bytes.length || 1], options: DecoderOptions = {}): Decoded {
  const records: CaptureRecord[] = [];
  const decoder = new CaptureDecoder({ ...options, onRecord: (r) => records.push(r) });
  let error: CaptureError | undefined;
  try {
    let at = 0;
    let i = 0;
    while (at < bytes.length) {
      const n = Math.max(1, sizes[i++ % sizes.length] ?? 1);
      // Copy each chunk so zero-copy views cannot alias a neighbour by accident.
      decoder.push(bytes.slice(at, at + n));
      at += n;
    }
    decoder.end();
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    error = e;
  }
  return { records, error, decoder };
}

/** A record as plain comparable data (bytes as hex). */
export function plain(r: CaptureRecord): Record<string, unknown> {
  return { ...r, data: Buffer.from(r.data).toString('hex') };
}

let tsharkChecked: boolean | undefined;
export function haveTshark(): boolean {
  tsharkChecked ??= spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
  return tsharkChecked;
}

/** Run tshark; returns exit status, stdout, and stderr minus the harmless running-as-root notice. */
export function tshark(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('tshark', args, { encoding: 'utf8' });
  const stderr = r.stderr
    .split('\n')
    .filter((l) => l.length > 0 && !l.startsWith('Running as user "root"'))
    .join('\n');
  return { status: r.status, stdout: r.stdout, stderr };
}
