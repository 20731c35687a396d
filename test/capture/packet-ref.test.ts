// onPacket, the record-free delivery (one reused PacketRef), against onRecord, whose records are
// checked against tshark in read.test.ts: the same packets, fields and bytes, in the same order,
// whatever the chunking, for pcap and pcapng fixtures, damaged files included.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CaptureDecoder } from '../../src/capture/decoder.js';
import { CaptureError } from '../../src/capture/errors.js';
import type { CaptureRecord, PacketRef } from '../../src/capture/types.js';
import { SEED, fixture, plain } from './helpers.js';

const FILES = ['kb172983.pcapng', 'kb172983.be.pcap', 'features.be.pcapng', 'multi-section.pcapng', 'lo-nano.pcap', 'linux-sll2.pcap'];
const corpus = [fixture(SEED), ...FILES.map((f) => fixture(f))];

interface Seen {
  /** What each onPacket call saw, read during the call. */
  fields: Record<string, unknown>[];
  /** toRecord() of each packet, kept past the call. */
  kept: CaptureRecord[];
  /** onRecord's records (same decoder). */
  records: CaptureRecord[];
  error: string | undefined;
}

function fieldsOf(p: PacketRef): Record<string, unknown> {
  return {
    frame: p.frame,
    tsSec: p.tsSec,
    tsNsec: p.tsNsec,
    capturedLength: p.capturedLength,
    originalLength: p.originalLength,
    linkType: p.linkType,
    interfaceId: p.interfaceId,
    fileOffset: p.fileOffset,
    data: Buffer.from(p.buffer.subarray(p.offset, p.offset + p.capturedLength)).toString('hex'),
  };
}

function run(bytes: Uint8Array, sizes: readonly number[], withRecords: boolean): Seen {
  const seen: Seen = { fields: [], kept: [], records: [], error: undefined };
  const decoder = new CaptureDecoder({
    onPacket: (p) => {
      seen.fields.push(fieldsOf(p));
      seen.kept.push(p.toRecord());
    },
    ...(withRecords ? { onRecord: (r: CaptureRecord) => void seen.records.push(r) } : {}),
  });
  try {
    let at = 0;
    let i = 0;
    while (at < bytes.length) {
      const n = Math.max(1, sizes[i++ % sizes.length] ?? 1);
      decoder.push(bytes.slice(at, at + n));
      at += n;
    }
    decoder.end();
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    seen.error = e.code;
  }
  return seen;
}

function recordFields(r: CaptureRecord): Record<string, unknown> {
  const { timestamp: _t, comments: _c, flags: _f, data, ...rest } = r;
  return { ...rest, data: Buffer.from(data).toString('hex') };
}

describe('onPacket', () => {
  test('sees every packet onRecord sees, with the same fields and bytes, for every fixture', () => {
    for (const bytes of corpus) {
      const s = run(bytes, [bytes.length], true);
      assert.ok(s.records.length > 0);
      assert.deepEqual(s.fields, s.records.map(recordFields));
      assert.deepEqual(s.kept.map(plain), s.records.map(plain));
    }
  });

  test('toRecord() keeps the record invariant timestamp = tsSec + tsNsec / 1e9', () => {
    for (const r of run(fixture('lo-nano.pcap'), [1 << 20], false).kept) assert.equal(r.timestamp, r.tsSec + r.tsNsec / 1e9);
  });

  test('property: any chunking of a valid or damaged file gives the records onRecord gives', () => {
    fc.assert(
      fc.property(fc.constantFrom(...corpus), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 20 }), (bytes, where, value, sizes) => {
        const b = bytes.slice();
        b[where % b.length] = value;
        const withoutRecords = run(b, sizes, false);
        const reference = run(b, [b.length], true);
        assert.deepEqual(withoutRecords.kept.map(plain), reference.records.map(plain));
        assert.deepEqual(withoutRecords.fields, reference.records.map(recordFields));
        assert.equal(withoutRecords.error, reference.error);
      }),
      { numRuns: 200 },
    );
  });
});
