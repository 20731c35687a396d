/**
 * A deliberately tiny classic-pcap walker for harness tests: record count and each record's bytes.
 * It is independent of synack's capture code on purpose (the harness must not test itself with the
 * code under test). Supports microsecond/nanosecond magic in either byte order; nothing else.
 * Invariant: never reads past the buffer; a truncated last record is reported, not returned.
 */
import { readFileSync } from 'node:fs';

export interface PcapRecord {
  readonly index: number;
  readonly capturedLength: number;
  readonly originalLength: number;
  readonly data: Uint8Array;
}

export function readPcapRecords(path: string): { linkType: number; records: PcapRecord[]; truncatedTail: boolean } {
  const buf = new Uint8Array(readFileSync(path));
  if (buf.length < 24) throw new Error(`${path}: ${buf.length} bytes, shorter than a pcap header`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magicBE = dv.getUint32(0, false);
  let le: boolean;
  if (magicBE === 0xa1b2c3d4 || magicBE === 0xa1b23c4d) le = false;
  else if (dv.getUint32(0, true) === 0xa1b2c3d4 || dv.getUint32(0, true) === 0xa1b23c4d) le = true;
  else throw new Error(`${path}: not a classic pcap (magic 0x${magicBE.toString(16)})`);
  const linkType = dv.getUint32(20, le);
  const records: PcapRecord[] = [];
  let off = 24;
  while (off + 16 <= buf.length) {
    const incl = dv.getUint32(off + 8, le);
    const orig = dv.getUint32(off + 12, le);
    if (off + 16 + incl > buf.length) return { linkType, records, truncatedTail: true };
    records.push({ index: records.length + 1, capturedLength: incl, originalLength: orig, data: buf.subarray(off + 16, off + 16 + incl) });
    off += 16 + incl;
  }
  return { linkType, records, truncatedTail: off !== buf.length };
}
