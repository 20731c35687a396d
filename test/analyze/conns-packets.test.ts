/**
 * The record-free read path of `synack conns`: packets handed to ConnTracker.pushPacket as the
 * capture decoder's reused PacketRef, their bytes read into frameMemory(), where TCP checksums are
 * summed in place. Truth: RFC 1071 (a naive reference sum written here) for every checksum
 * verdict, at every alignment; and for whole records, the record path, which the tshark and Zeek
 * tests hold to those tools (conns-tshark.ts runs both paths), on every fixture capture and in
 * read blocks of any size (records that straddle blocks are copied and summed in JavaScript).
 * feedCapturePackets reports damage and unreadable files exactly as feedCapture does.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { type ConnectionRecord, ConnTracker, type ConnTrackerOptions, trackConnections } from '../../src/analyze/conns.js';
import { frameMemory, newSegment, SegmentDecoder } from '../../src/analyze/conns-segment.js';
import { CaptureDecoder, decodeCapture } from '../../src/capture/decoder.js';
import { PcapWriter } from '../../src/capture/pcap.js';
import type { CaptureRecord, PacketRef } from '../../src/capture/types.js';
import { feedCapture, feedCapturePackets } from '../../src/cli/capture-input.js';
import { ACK, CLIENT4, CLIENT6, type CraftSegment, craftFrame, craftPcap, FIN, handshake, PSH, SERVER4, SERVER6, SYN } from './conns-craft.js';
import { trackPackets } from './conns-tshark.js';

const FIXTURES = [fileURLToPath(new URL('../fixtures', import.meta.url)), fileURLToPath(new URL('../wire/fixtures', import.meta.url))];

function captureFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...captureFiles(p));
    else if (/\.pcap(ng)?$/.test(name)) out.push(p);
  }
  return out;
}

/** RFC 1071 written out plainly: the ones' complement sum of big-endian 16-bit words, folded. */
function onesSum(bytes: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < bytes.length; i += 2) {
    s += ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
    s = (s & 0xffff) + (s >>> 16);
  }
  return s;
}

/**
 * Whether the TCP checksum of an Ethernet/IPv4 or IPv6 frame (no options or extension headers)
 * verifies: the sum over the pseudo-header (RFC 9293 3.1; RFC 8200 8.1) and the segment is 0xffff.
 */
function rfc1071Valid(frame: Uint8Array): boolean {
  const v6 = frame[12] === 0x86 && frame[13] === 0xdd;
  const ip = 14;
  const b = [...frame];
  if (v6) {
    const len = (b[ip + 4]! << 8) | b[ip + 5]!;
    const l4 = ip + 40;
    return onesSum([...b.slice(ip + 8, ip + 40), 0, 0, len >> 8, len & 0xff, 0, 0, 0, 6, ...b.slice(l4, l4 + len)]) === 0xffff;
  }
  const hl = (b[ip]! & 0x0f) * 4;
  const total = (b[ip + 2]! << 8) | b[ip + 3]!;
  const len = total - hl;
  const l4 = ip + hl;
  return onesSum([...b.slice(ip + 12, ip + 20), 0, 6, len >> 8, len & 0xff, ...b.slice(l4, l4 + len)]) === 0xffff;
}

/** A PacketRef for bytes lying at `offset` in `buffer` (what the capture decoder hands over). */
function packetAt(buffer: Uint8Array, offset: number, length: number, frame: number): PacketRef {
  const ref: PacketRef = {
    buffer,
    offset,
    frame,
    tsSec: 1_700_000_000,
    tsNsec: frame * 1000,
    capturedLength: length,
    originalLength: length,
    linkType: 1,
    interfaceId: 0,
    fileOffset: 0,
    toRecord: (): CaptureRecord => ({ frame, timestamp: 1_700_000_000 + (frame * 1000) / 1e9, tsSec: 1_700_000_000, tsNsec: frame * 1000, capturedLength: length, originalLength: length, linkType: 1, interfaceId: 0, data: buffer.subarray(offset, offset + length), fileOffset: 0 }),
  };
  return ref;
}

const records = (recs: readonly ConnectionRecord[]): string => recs.map((r) => JSON.stringify(r)).join('\n');

describe('checksums summed in place', () => {
  test('every verdict is RFC 1071\'s, at every alignment and length, from frame memory and from plain memory', () => {
    const memory = frameMemory(1 << 16);
    const plain = new Uint8Array(1 << 16);
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({ min: 0, max: 1600 }),
        fc.integer({ min: 0, max: 4000 }),
        fc.option(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 }))),
        (v6, len, offset, damage) => {
          const seg: CraftSegment = { t: 0, from: 'c', flags: PSH | ACK, seq: 1000, ack: 2000, len };
          const frame = v6 ? craftFrame(seg, CLIENT6, SERVER6) : craftFrame(seg, CLIENT4, SERVER4);
          if (damage !== null) {
            // Any byte of the IP addresses or the segment (both are covered by the checksum).
            const from = v6 ? 14 + 8 : 14 + 12;
            const at = from + (damage[0] % (frame.length - from));
            frame[at] = frame[at]! ^ damage[1];
          }
          const truth = rfc1071Valid(frame);
          for (const mem of [memory, plain]) {
            mem.set(frame, offset);
            const out = newSegment();
            const outcome = new SegmentDecoder().decodePacket(packetAt(mem, offset, frame.length, 1), out);
            // A damaged address or length field may make the frame something else; then there is no verdict.
            if (outcome !== 'tcp') continue;
            assert.equal(out.checksumValid, truth, `${v6 ? 'IPv6' : 'IPv4'} ${len} bytes at offset ${offset}`);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  test('the packet path and the record path agree on every frame of a capture with bad checksums', () => {
    const segs: CraftSegment[] = [...handshake(1000, 5000)];
    for (let i = 0; i < 40; i++) segs.push({ t: 0.01 + i * 0.001, from: i % 2 === 0 ? 'c' : 's', flags: PSH | ACK, seq: i % 2 === 0 ? 1001 + i * 700 : 5001, ack: i % 2 === 0 ? 5001 : 1001 + i * 700, len: i % 2 === 0 ? (i * 37) % 1460 : 0, badChecksum: i % 3 === 0 });
    const bytes = craftPcap(segs);
    const { records: recs } = decodeCapture(bytes);
    const viaRecords = trackConnections(recs, { keepFrames: true });
    const viaPackets = trackPackets(bytes, { keepFrames: true });
    assert.equal(records(viaPackets), records(viaRecords));
    const verdicts = viaPackets.flatMap((c) => c.frames ?? []).map((f) => f.checksumValid);
    // The crafted bad checksums (every third data-phase segment) and only those.
    assert.deepEqual(verdicts, segs.map((s) => s.badChecksum !== true));
  });
});

describe('records from packets', () => {
  const files = FIXTURES.flatMap(captureFiles);

  test('every fixture capture gives the same records by packets as by records, in any read block size', () => {
    assert.ok(files.length >= 15, `fixtures found: ${files.length}`);
    for (const file of files) {
      const bytes = new Uint8Array(readFileSync(file));
      const { records: recs } = decodeCapture(bytes);
      for (const options of [{ keepFrames: true }, { keepFrames: true, verifyChecksums: false }, { maxConnections: 2 }] satisfies Omit<ConnTrackerOptions, 'onConnection'>[]) {
        const want = records(trackConnections(recs, options));
        for (const block of [1 << 20, 4093, 61]) {
          assert.equal(records(trackPackets(bytes, options, block)), want, `${file}, blocks of ${block} bytes, ${JSON.stringify(options)}`);
          assert.equal(records(trackPackets(bytes, options, block, false)), want, `${file}, plain memory, blocks of ${block} bytes`);
        }
      }
    }
  });

  test('stats count the same frames either way', () => {
    const bytes = craftPcap([...handshake(1000, 5000), { t: 0.5, from: 'c', flags: FIN | ACK, seq: 1001, ack: 5001 }, { t: 0.6, from: 's', flags: SYN, seq: 9, len: 0 }]);
    const a = new ConnTracker();
    for (const r of decodeCapture(bytes).records) a.push(r);
    a.end();
    const b = new ConnTracker();
    const d = new CaptureDecoder({ onPacket: (p) => b.pushPacket(p) });
    const mem = frameMemory(bytes.length);
    mem.set(bytes);
    d.push(mem);
    d.end();
    b.end();
    assert.deepEqual(b.stats, a.stats);
  });
});

describe('feedCapturePackets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'synack-conns-packets-'));
  const good = craftPcap([...handshake(1000, 5000), { t: 0.2, from: 'c', flags: PSH | ACK, seq: 1001, ack: 5001, len: 900 }, { t: 0.3, from: 's', flags: ACK, seq: 5001, ack: 1901 }]);

  async function both(file: string, memory?: Uint8Array): Promise<{ viaPackets: { frames: number[]; feed: unknown }; viaRecords: { frames: number[]; feed: unknown } }> {
    const a: number[] = [];
    const feedA = await feedCapturePackets(file, (p) => a.push(p.frame), () => Promise.resolve(), ...(memory !== undefined ? [memory] : []));
    const b: number[] = [];
    const feedB = await feedCapture(file, (r) => b.push(r.frame), () => Promise.resolve());
    return { viaPackets: { frames: a, feed: feedA }, viaRecords: { frames: b, feed: feedB } };
  }

  test('a whole file: every packet, in order, in blocks smaller than a record too', async () => {
    const file = join(dir, 'good.pcap');
    writeFileSync(file, good);
    for (const memory of [undefined, frameMemory(2 * 50), new Uint8Array(2 * 7)]) {
      const r = await both(file, memory);
      assert.deepEqual(r.viaPackets, r.viaRecords);
      assert.deepEqual(r.viaPackets.frames, [1, 2, 3, 4, 5]);
    }
  });

  test('a file cut inside a record: the packets before it, then the same damage line', async () => {
    const at = decodeCapture(good).records.map((r) => r.fileOffset);
    // Inside the last record's data, the big record's data, a record header, the first one, the file header.
    for (const cut of [good.length - 1, (at[3] ?? 0) + 100, (at[2] ?? 0) + 5, 30, 10]) {
      const file = join(dir, `cut-${cut}.pcap`);
      writeFileSync(file, good.subarray(0, cut));
      const r = await both(file, frameMemory(2 * 64));
      assert.deepEqual(r.viaPackets, r.viaRecords, `cut at ${cut}`);
      assert.match(String((r.viaPackets.feed as { damage?: string }).damage), /truncated/);
    }
  });

  test('a hostile record length, a bad magic and an empty file: the same errors', async () => {
    const huge = new Uint8Array(good.length + 16);
    huge.set(good);
    new DataView(huge.buffer).setUint32(good.length + 8, 0x7fffffff, true);
    const cases: [string, Uint8Array][] = [['huge.pcap', huge], ['magic.pcap', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])], ['empty.pcap', new Uint8Array(0)]];
    for (const [name, bytes] of cases) {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      const r = await both(file);
      assert.deepEqual(r.viaPackets, r.viaRecords, name);
      assert.notEqual((r.viaPackets.feed as { damage?: string }).damage, undefined, name);
    }
  });

  test('a missing file and a directory are named plainly, as by feedCapture', async () => {
    for (const file of [join(dir, 'missing.pcap'), dir]) {
      const r = await both(file);
      assert.deepEqual(r.viaPackets, r.viaRecords);
      assert.match(String((r.viaPackets.feed as { unreadable?: string }).unreadable), /no such file|is a directory/);
    }
  });

  test('written with a different record layout (pcap big-endian, nanoseconds): the same packets', async () => {
    const w = new PcapWriter({ linkType: 1, bigEndian: true, nanosecond: true });
    const recs = decodeCapture(good).records;
    const bytes = Buffer.concat([w.header(), ...recs.map((r) => w.packet(r))]);
    const file = join(dir, 'be.pcap');
    writeFileSync(file, bytes);
    const r = await both(file, frameMemory(2 * 100));
    assert.deepEqual(r.viaPackets, r.viaRecords);
  });
});
