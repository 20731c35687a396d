/**
 * The Node adapter: streaming files through the decoder (any read size gives the records of the
 * in-memory decode; damage comes after the records before it) and writing files with backpressure.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCapture } from '../../src/capture/decoder.js';
import { CaptureError, CaptureErrorCode } from '../../src/capture/errors.js';
import { PcapWriter } from '../../src/capture/pcap.js';
import { CaptureFileWriter, readCaptureBatches, readCaptureFile, writeChunksToFile } from '../../src/capture/node.js';
import type { CaptureRecord } from '../../src/capture/types.js';
import { FIXTURES, SEED, fixture, plain } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sk-capture-node-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const essentials = (r: CaptureRecord): unknown[] => [r.tsSec, r.tsNsec, r.originalLength, Buffer.from(r.data).toString('hex'), r.comments];

describe('reading files', () => {
  for (const hwm of [5, 64, 1 << 20]) {
    test(`readCaptureFile with ${hwm}-byte reads gives the in-memory records`, async () => {
      const file = FIXTURES + 'multi-section.pcapng';
      const records: CaptureRecord[] = [];
      const summary = await readCaptureFile(file, { highWaterMark: hwm, onRecord: (r) => records.push(r) });
      const want = decodeCapture(fixture('multi-section.pcapng'));
      assert.deepEqual(records.map(plain), want.records.map(plain));
      assert.equal(summary.format, 'pcapng');
      assert.equal(summary.frames, 28);
      assert.equal(summary.sections.length, 3);
      assert.equal(summary.interfaces.length, 4);
      assert.equal(summary.bytes, readFileSync(file).length);
    });
  }

  test('readCaptureBatches yields one batch per read, then the summary', async () => {
    const batches: CaptureRecord[][] = [];
    const it = readCaptureBatches(SEED, { highWaterMark: 100 });
    let step = await it.next();
    while (step.done !== true) {
      batches.push(step.value);
      step = await it.next();
    }
    assert.ok(batches.length > 1);
    assert.deepEqual(batches.flat().map(plain), decodeCapture(fixture(SEED)).records.map(plain));
    assert.equal(step.value.pcapHeader?.snaplen, 65535);
  });

  test('a damaged file: the records before the damage, then the CaptureError', async () => {
    const bad = join(dir, 'cut.pcap');
    writeFileSync(bad, fixture(SEED).subarray(0, 500));
    const seen: number[] = [];
    await assert.rejects(
      readCaptureFile(bad, { highWaterMark: 64, onRecord: (r) => seen.push(r.frame) }),
      (e: unknown) => e instanceof CaptureError && e.code === CaptureErrorCode.TRUNCATED_RECORD && e.frame === 7 && e.offset === 474,
    );
    assert.deepEqual(seen, [1, 2, 3, 4, 5, 6]);

    const viaBatches: number[] = [];
    await assert.rejects(
      (async () => {
        for await (const batch of readCaptureBatches(bad, { highWaterMark: 1 << 20 })) viaBatches.push(...batch.map((r) => r.frame));
      })(),
      (e: unknown) => e instanceof CaptureError && e.code === CaptureErrorCode.TRUNCATED_RECORD,
    );
    assert.deepEqual(viaBatches, [1, 2, 3, 4, 5, 6]);
  });

  test('a missing file rejects with the fs error', async () => {
    await assert.rejects(readCaptureFile(join(dir, 'nope.pcap')), (e: unknown) => (e as { code?: string }).code === 'ENOENT');
  });
});

describe('writing files', () => {
  const seedRecords = decodeCapture(fixture(SEED)).records;

  test('CaptureFileWriter pcap: the seed written back is byte-identical', async () => {
    const file = join(dir, 'seed-copy.pcap');
    const w = new CaptureFileWriter(file, { format: 'pcap', linkType: 1, snaplen: 65535 });
    for (const r of seedRecords) if (!w.write(r)) await w.drain();
    await w.close();
    assert.deepEqual(new Uint8Array(readFileSync(file)), fixture(SEED));
  });

  test('CaptureFileWriter pcapng: many packets with backpressure read back equal', async () => {
    const file = join(dir, 'many.pcapng');
    const w = new CaptureFileWriter(file, { format: 'pcapng', interfaces: [{ linkType: 1, name: 'eth0' }] });
    const written: CaptureRecord[] = [];
    for (let i = 0; i < 40000; i++) {
      const r = seedRecords[i % seedRecords.length];
      assert.ok(r !== undefined);
      const p = { ...r, tsSec: r.tsSec + i };
      written.push(p);
      if (!w.write(p)) await w.drain();
    }
    await w.close();
    const back = decodeCapture(new Uint8Array(readFileSync(file)));
    assert.equal(back.error, undefined);
    assert.equal(back.interfaces[0]?.name, 'eth0');
    assert.deepEqual(back.records.map(essentials), written.map(essentials));
  });

  test('writeChunksToFile writes encoder chunks in order', async () => {
    const file = join(dir, 'chunks.pcap');
    const w = new PcapWriter({ linkType: 1, snaplen: 65535 });
    await writeChunksToFile(file, [w.header(), ...seedRecords.map((r) => w.packet(r))]);
    assert.deepEqual(new Uint8Array(readFileSync(file)), fixture(SEED));
  });

  test('write() after close() is a misuse', async () => {
    const w = new CaptureFileWriter(join(dir, 'closed.pcap'), { format: 'pcap', linkType: 1 });
    await w.close();
    assert.throws(() => w.write(seedRecords[0] ?? assert.fail()), (e: unknown) => e instanceof CaptureError && e.code === CaptureErrorCode.MISUSE);
  });
});
