/**
 * Shared fixtures for the wire tests: the KB 172983 seed capture, the hand-made fixture capture
 * (test/wire/fixtures/make_fixtures.py) and tshark's reading of both (tshark-fields.json, made by
 * dump_tshark.py), which is the independent truth the codec is checked against.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Records of a little-endian microsecond pcap file (enough for our fixtures; not the capture module). */
export function readPcapFrames(path: string): Uint8Array[] {
  const f = new Uint8Array(readFileSync(path));
  const dv = new DataView(f.buffer, f.byteOffset, f.byteLength);
  if (dv.getUint32(0, true) !== 0xa1b2c3d4) throw new Error(`${path}: not a little-endian pcap`);
  const out: Uint8Array[] = [];
  let off = 24;
  while (off + 16 <= f.length) {
    const incl = dv.getUint32(off + 8, true);
    out.push(f.slice(off + 16, off + 16 + incl));
    off += 16 + incl;
  }
  return out;
}

export const seedFrames: Uint8Array[] = readPcapFrames(join(here, '..', 'fixtures', 'kb172983.pcap'));
const fixtureFrames = readPcapFrames(join(here, 'fixtures', 'wire-fixtures.pcap'));
const fixtureNames = readFileSync(join(here, 'fixtures', 'wire-fixtures.names.txt'), 'utf8').split('\n').filter((s) => s !== '');

export type TsharkRecord = { readonly name: string } & { readonly [field: string]: readonly string[] | string };
interface TsharkFile {
  readonly tshark: string;
  readonly fixtures: TsharkRecord[];
  readonly kb172983: TsharkRecord[];
}
const tshark = JSON.parse(readFileSync(join(here, 'fixtures', 'tshark-fields.json'), 'utf8')) as TsharkFile;

/** The fixture frame called `name` (see make_fixtures.py). */
export function fixture(name: string): Uint8Array {
  const i = fixtureNames.indexOf(name);
  const f = fixtureFrames[i];
  if (f === undefined) throw new Error(`no fixture ${name}`);
  return f;
}

export function fixtureNamesList(): readonly string[] {
  return fixtureNames;
}

/** tshark's fields for fixture `name`, or for seed frame number `n` (1-based). */
export function truth(nameOrFrame: string | number): TsharkRecord {
  const rec = typeof nameOrFrame === 'number' ? tshark.kb172983[nameOrFrame - 1] : tshark.fixtures.find((r) => r.name === nameOrFrame);
  if (rec === undefined) throw new Error(`no tshark record for ${nameOrFrame}`);
  return rec;
}

/** All values tshark showed for a field ([] when absent). */
export function values(rec: TsharkRecord, field: string): string[] {
  const v = rec[field];
  return Array.isArray(v) ? [...(v as string[])] : [];
}

/** The first value of a field as a number (tshark writes hex as 0x..., booleans as 0/1). */
export function num(rec: TsharkRecord, field: string, occurrence = 0): number {
  const v = values(rec, field)[occurrence];
  if (v === undefined) throw new Error(`tshark shows no ${field} in ${rec.name}`);
  return Number(v);
}

export function str(rec: TsharkRecord, field: string, occurrence = 0): string {
  const v = values(rec, field)[occurrence];
  if (v === undefined) throw new Error(`tshark shows no ${field} in ${rec.name}`);
  return v;
}

export function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toHexString(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** A buffer of `n` bytes filled with 0xa5, so bytes emit leaves unwritten show. */
export function prefilled(n: number): Uint8Array {
  return new Uint8Array(n).fill(0xa5);
}

/** A copy of `bytes` placed `at` bytes into a larger buffer (views must honour byteOffset). */
export function atOffset(bytes: Uint8Array, at: number): Uint8Array {
  const big = new Uint8Array(at + bytes.length + 7).fill(0xee);
  big.set(bytes, at);
  return big.subarray(at, at + bytes.length);
}

/**
 * The hex dumps printed in a seed document ("00000:  02 60 8C ..."), one Uint8Array per frame,
 * in document order.
 */
export function seedHexDumps(seedPrefix: string): Uint8Array[] {
  // The seeds live beside the repository (../shared), as in CI; users without them skip.
  const dir = join(here, '..', '..', '..', 'shared', 'seeds');
  if (!existsSync(dir)) return [];
  const name = readdirSync(dir).find((f) => f.startsWith(seedPrefix));
  if (name === undefined) return [];
  const text = readFileSync(join(dir, name), 'utf8');
  const frames: string[][] = [];
  for (const m of text.matchAll(/([0-9A-F]{5}): +((?:[0-9A-F]{2} ?){1,16})/g)) {
    if (m[1] === '00000') frames.push([]);
    frames[frames.length - 1]?.push(m[2] ?? '');
  }
  return frames.map((lines) => hex(lines.join('')));
}

/** Frames of linux-tcp.pcap (real Linux segments, snap length 128). */
export const linuxFrames: Uint8Array[] = readPcapFrames(join(here, 'fixtures', 'linux-tcp.pcap'));
