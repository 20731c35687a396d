/**
 * The viewer's frame index (src/web/frames.ts) and row text (src/web/rows.ts) under Node: the index
 * hands back exactly the records the capture layer decodes (every fixture, pcap and pcapng, chunked
 * or not), keeps a damaged file's frames before the damage with the capture layer's error, and
 * neither it nor the row text throws on any bytes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { decodeCapture } from '../../src/capture/decoder.js';
import { PcapWriter } from '../../src/capture/pcap.js';
import { CaptureIndex, PacketList } from '../../src/web/frames.js';
import { rowText } from '../../src/web/rows.js';
import { REPO } from './browser.js';

const FIX = join(REPO, 'test/fixtures/capture');
const files = [join(REPO, 'test/fixtures/kb172983.pcap'), ...readdirSync(FIX).filter((f) => /\.(pcap|pcapng)$/.test(f)).map((f) => join(FIX, f))];

describe('capture index', () => {
  for (const file of files) {
    it(`gives the capture layer's records for ${file.slice(REPO.length)}`, () => {
      const bytes = new Uint8Array(readFileSync(file));
      const want = decodeCapture(bytes);
      const idx = CaptureIndex.load(bytes, 'x');
      assert.equal(idx.count, want.records.length);
      assert.equal(idx.error?.message, want.error?.message);
      want.records.forEach((r, i) => {
        const got = idx.record(i);
        assert.deepEqual({ ...got, data: [...got.data] }, { frame: r.frame, timestamp: r.timestamp, tsSec: r.tsSec, tsNsec: r.tsNsec, capturedLength: r.capturedLength, originalLength: r.originalLength, linkType: r.linkType, interfaceId: r.interfaceId, fileOffset: r.fileOffset, data: [...r.data] });
        assert.equal(got.data.buffer, bytes.buffer, 'a view of the file, not a copy');
      });
    });
  }

  it('grows past its first guess and keeps every frame', () => {
    // 20-byte raw IP headers: far more frames than bytes/64, the index's first guess.
    const w = new PcapWriter({ linkType: 101 });
    const parts: Uint8Array[] = [w.header()];
    for (let i = 0; i < 5000; i++) parts.push(w.packet({ tsSec: i, tsNsec: 0, data: new Uint8Array([0x45, 0, 0, 20, i >> 8, i & 0xff, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]) }));
    const bytes = new Uint8Array(Buffer.concat(parts));
    const idx = CaptureIndex.load(bytes);
    assert.equal(idx.count, 5000);
    assert.equal(idx.record(4999).tsSec, 4999);
    assert.deepEqual([...idx.record(4321).data.subarray(4, 6)], [4321 >> 8, 4321 & 0xff]);
  });

  it('a packet list gives raw-IP records with millisecond times', () => {
    const list = new PacketList(101);
    list.push(1500.25, new Uint8Array([0x45]));
    const r = list.record(0);
    assert.equal(r.frame, 1);
    assert.equal(r.linkType, 101);
    assert.equal(r.tsSec, 1);
    assert.equal(r.tsNsec, 500_250_000);
  });

  it('never throws on damaged captures or random bytes, and rows never throw either', () => {
    const seeds = files.map((f) => new Uint8Array(readFileSync(f)));
    fc.assert(
      fc.property(fc.nat(seeds.length - 1), fc.array(fc.tuple(fc.nat(4000), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }), fc.nat(4000), (k, edits, cut) => {
        const b = (seeds[k] as Uint8Array).slice(0, Math.max(0, (seeds[k] as Uint8Array).length - cut));
        for (const [at, v] of edits) if (at < b.length) b[at] = v;
        const idx = CaptureIndex.load(b, 'fuzz');
        const want = decodeCapture(b);
        assert.equal(idx.count, want.records.length);
        for (let i = 0; i < idx.count; i++) rowText(idx.record(i), idx.origin);
      }),
      { numRuns: 1500 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 300 }), (data, linkType) => {
        rowText({ frame: 1, timestamp: 0, tsSec: 0, tsNsec: 0, capturedLength: data.length, originalLength: data.length, linkType, interfaceId: 0, data, fileOffset: 0 }, 0);
      }),
      { numRuns: 3000 },
    );
  });

  it('splits the summary line into the list columns', () => {
    const idx = CaptureIndex.load(new Uint8Array(readFileSync(files[0] as string)));
    const r = rowText(idx.record(1), idx.origin);
    assert.deepEqual(r, {
      no: '2',
      time: '0.000100',
      src: '131.107.2.211:139',
      dst: '131.107.2.214:1037',
      proto: 'TCP',
      len: '60',
      info: '.A..S. [SYN, ACK] seq=1109645 ack=8221823 win=8760 len=0 <mss 1460>',
      tone: 'synfin',
    });
  });
});
