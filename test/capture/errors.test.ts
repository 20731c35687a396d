/**
 * Damaged files: every case must give our typed error with its stable code, the byte offset of
 * the damaged structure (and frame number for packets), after delivering every record before the
 * damage — whether the file arrives whole or in small chunks.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CaptureDecoder } from '../../src/capture/decoder.js';
import { CaptureError, CaptureErrorCode } from '../../src/capture/errors.js';
import { SEED, decodeInChunks, fixture, plain } from './helpers.js';

interface Expect {
  code: string;
  offset: number;
  frame?: number;
  records: number;
  message?: RegExp;
}

function expectDamage(bytes: Uint8Array, want: Expect, options: { strictSnaplen?: boolean } = {}): void {
  for (const sizes of [[bytes.length || 1], [7], [1, 13, 64]]) {
    const got = decodeInChunks(bytes, sizes, options);
    const e = got.error;
    assert.ok(e instanceof CaptureError, `expected a CaptureError with chunks ${sizes.join(',')}`);
    assert.equal(e.code, want.code, e.message);
    assert.equal(e.offset, want.offset, e.message);
    assert.equal(e.frame, want.frame, e.message);
    assert.equal(got.records.length, want.records, e.message);
    assert.deepEqual(
      got.records.map((r) => r.frame),
      Array.from({ length: want.records }, (_, i) => i + 1),
    );
    assert.match(e.message, new RegExp(`at byte ${want.offset}\\)`));
    if (want.frame !== undefined) assert.match(e.message, new RegExp(`frame ${want.frame},`));
    if (want.message !== undefined) assert.match(e.message, want.message);
  }
}

const seed = fixture(SEED); // record headers at 24, 100, 176, 252, 322, 398, 474; 544 bytes
const seedLe = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

describe('damaged pcap files', () => {
  test('wrong magic', () => {
    expectDamage(new TextEncoder().encode('GIF89a, certainly not a capture file'), {
      code: CaptureErrorCode.BAD_MAGIC,
      offset: 0,
      records: 0,
      message: /47494638 is neither pcap/,
    });
  });

  test('a gzip-compressed capture is named as such', () => {
    expectDamage(Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4), {
      code: CaptureErrorCode.BAD_MAGIC,
      offset: 0,
      records: 0,
      message: /gzip/,
    });
  });

  test('empty file', () => {
    expectDamage(new Uint8Array(0), { code: CaptureErrorCode.TRUNCATED_HEADER, offset: 0, records: 0, message: /empty file/ });
  });

  test('file ends inside the 24-byte header', () => {
    expectDamage(seed.slice(0, 10), { code: CaptureErrorCode.TRUNCATED_HEADER, offset: 0, records: 0, message: /10 bytes into/ });
    expectDamage(seed.slice(0, 2), { code: CaptureErrorCode.TRUNCATED_HEADER, offset: 0, records: 0 });
  });

  test('file ends inside a record header', () => {
    expectDamage(seed.slice(0, 100 + 9), { code: CaptureErrorCode.TRUNCATED_RECORD, offset: 100, frame: 2, records: 1, message: /9 bytes into a 16-byte record header/ });
  });

  test('file ends inside packet data', () => {
    expectDamage(seed.slice(0, seed.length - 10), {
      code: CaptureErrorCode.TRUNCATED_RECORD,
      offset: 474,
      frame: 7,
      records: 6,
      message: /needs 54 bytes of packet data but the file ends after 44/,
    });
  });

  test('captured length larger than the rest of the file is a truncation at end of file', () => {
    const b = seed.slice();
    seedLe(b).setUint32(474 + 8, 1000, true);
    expectDamage(b, { code: CaptureErrorCode.TRUNCATED_RECORD, offset: 474, frame: 7, records: 6, message: /needs 1000 bytes/ });
  });

  test('captured length larger than the snapshot length', () => {
    const b = seed.slice();
    seedLe(b).setUint32(176 + 8, 70000, true); // snaplen is 65535
    expectDamage(b, { code: CaptureErrorCode.SNAPLEN_EXCEEDED, offset: 176, frame: 3, records: 2, message: /70000 exceeds .* 65535/ });
  });

  test('giant captured length is refused before buffering (no snaplen limit)', () => {
    const b = seed.slice();
    seedLe(b).setUint32(16, 0, true); // snaplen 0: only the 256 KiB cap applies
    seedLe(b).setUint32(252 + 8, 0xfffffff0, true);
    expectDamage(b, { code: CaptureErrorCode.RECORD_TOO_LARGE, offset: 252, frame: 4, records: 3, message: /262144-byte limit/ });
  });

  test('with strictSnaplen false, records larger than the snaplen are read (as libpcap does)', () => {
    const b = seed.slice();
    seedLe(b).setUint32(16, 58, true);
    expectDamage(b, { code: CaptureErrorCode.SNAPLEN_EXCEEDED, offset: 24, frame: 1, records: 0 });
    const lenient = decodeInChunks(b, [b.length], { strictSnaplen: false });
    assert.equal(lenient.error, undefined);
    assert.equal(lenient.records.length, 7);
  });

  test('pcap version 1.0 is refused', () => {
    const b = seed.slice();
    seedLe(b).setUint16(4, 1, true);
    expectDamage(b, { code: CaptureErrorCode.UNSUPPORTED_VERSION, offset: 0, records: 0 });
  });
});

/** [offset, type, length] of each block of a little-endian pcapng file. */
function blocks(b: Uint8Array): [number, number, number][] {
  const v = seedLe(b);
  const out: [number, number, number][] = [];
  for (let at = 0; at + 8 <= b.length; ) {
    const len = v.getUint32(at + 4, true);
    out.push([at, v.getUint32(at, true), len]);
    at += len;
  }
  return out;
}

describe('damaged pcapng files', () => {
  const ng = fixture('kb172983.pcapng'); // editcap: SHB, IDB, 7 EPBs
  const layout = blocks(ng);
  const epbs = layout.filter(([, t]) => t === 6).map(([at]) => at);
  const idb = layout.find(([, t]) => t === 1);
  const epbAt = (i: number): number => epbs[i] ?? assert.fail('missing EPB');
  const set32 = (b: Uint8Array, at: number, value: number): Uint8Array => {
    seedLe(b).setUint32(at, value, true);
    return b;
  };

  test('the fixture has the expected layout', () => {
    assert.equal(epbs.length, 7);
    assert.equal(layout[0]?.[1], 0x0a0d0d0a);
    assert.ok(idb !== undefined);
  });

  test('first block is not a Section Header Block', () => {
    expectDamage(ng.slice(idb?.[0] ?? 0), { code: CaptureErrorCode.BAD_MAGIC, offset: 0, records: 0 });
  });

  test('SHB with a wrong byte-order magic', () => {
    expectDamage(set32(ng.slice(), 8, 0x11223344), { code: CaptureErrorCode.BAD_MAGIC, offset: 0, records: 0, message: /byte-order magic/ });
  });

  test('file ends inside the Section Header Block', () => {
    expectDamage(ng.slice(0, 20), { code: CaptureErrorCode.TRUNCATED_HEADER, offset: 0, records: 0 });
  });

  test('file ends inside an Enhanced Packet Block', () => {
    expectDamage(ng.slice(0, ng.length - 6), {
      code: CaptureErrorCode.TRUNCATED_RECORD,
      offset: epbAt(6),
      frame: 7,
      records: 6,
      message: /truncated Enhanced Packet Block: the file ends after 82 of its 88 bytes/,
    });
  });

  test('file ends inside a block header', () => {
    // 5 bytes are enough to see the block type, so the damaged packet's frame number is known.
    expectDamage(ng.slice(0, epbAt(3) + 5), { code: CaptureErrorCode.TRUNCATED_RECORD, offset: epbAt(3), frame: 4, records: 3 });
    expectDamage(ng.slice(0, epbAt(3) + 3), { code: CaptureErrorCode.TRUNCATED_RECORD, offset: epbAt(3), records: 3, message: /block header/ });
  });

  test('zero block length', () => {
    expectDamage(set32(ng.slice(), epbAt(2) + 4, 0), {
      code: CaptureErrorCode.BAD_BLOCK_LENGTH,
      offset: epbAt(2),
      frame: 3,
      records: 2,
      message: /length 0 is less than the 32-byte minimum/,
    });
  });

  test('block length not a multiple of 4', () => {
    expectDamage(set32(ng.slice(), epbAt(2) + 4, 0x4e), {
      code: CaptureErrorCode.BAD_BLOCK_LENGTH,
      offset: epbAt(2),
      frame: 3,
      records: 2,
      message: /not a multiple of 4/,
    });
  });

  test('giant block length is refused before buffering', () => {
    expectDamage(set32(ng.slice(), epbAt(4) + 4, 0x7ffffff0), {
      code: CaptureErrorCode.BLOCK_TOO_LARGE,
      offset: epbAt(4),
      frame: 5,
      records: 4,
      message: /16777216-byte limit/,
    });
  });

  test('trailing block length differs from the leading one', () => {
    const at = epbAt(1);
    const len = layout.find(([o]) => o === at)?.[2] ?? 0;
    expectDamage(set32(ng.slice(), at + len - 4, len + 4), {
      code: CaptureErrorCode.BLOCK_LENGTH_MISMATCH,
      offset: at,
      frame: 2,
      records: 1,
    });
  });

  test('EPB before any Interface Description Block', () => {
    const [idbAt = 0, , idbLen = 0] = idb ?? [];
    const noIdb = new Uint8Array([...ng.subarray(0, idbAt), ...ng.subarray(idbAt + idbLen)]);
    expectDamage(noIdb, { code: CaptureErrorCode.NO_INTERFACE, offset: idbAt, frame: 1, records: 0 });
  });

  test('interface id out of range', () => {
    expectDamage(set32(ng.slice(), epbAt(1) + 8, 5), {
      code: CaptureErrorCode.BAD_INTERFACE,
      offset: epbAt(1),
      frame: 2,
      records: 1,
      message: /interface 5 but the section has 1/,
    });
  });

  test('captured length beyond the block', () => {
    expectDamage(set32(ng.slice(), epbAt(3) + 20, 200), { code: CaptureErrorCode.BAD_BLOCK, offset: epbAt(3), frame: 4, records: 3 });
  });

  test('captured length larger than the interface snaplen', () => {
    const [idbAt = 0] = idb ?? [];
    expectDamage(set32(ng.slice(), idbAt + 12, 58), { code: CaptureErrorCode.SNAPLEN_EXCEEDED, offset: epbAt(0), frame: 1, records: 0 });
  });

  test('an option that overruns its block', () => {
    const b = ng.slice();
    assert.equal(seedLe(b).getUint16(24, true), 4, 'editcap writes shb_userappl first');
    seedLe(b).setUint16(24 + 2, 0xfff0, true); // its length
    expectDamage(b, { code: CaptureErrorCode.BAD_BLOCK, offset: 0, records: 0, message: /option 4 of length 65520 overruns/ });
  });

  test('section version 2.0 is refused', () => {
    const b = ng.slice();
    seedLe(b).setUint16(12, 2, true);
    expectDamage(b, { code: CaptureErrorCode.UNSUPPORTED_VERSION, offset: 0, records: 0 });
  });

  test('damage in a later section comes after the earlier sections\' records', () => {
    const multi = fixture('multi-section.pcapng');
    const second = ng.length; // section 2 starts where the first file ended; it is big-endian
    const b = multi.slice();
    new DataView(b.buffer).setUint32(second + 8, 0x01020304, false);
    expectDamage(b, { code: CaptureErrorCode.BAD_BLOCK, offset: second, records: 7, message: /byte-order magic/ });
  });
});

describe('decoder state', () => {
  test('an error is sticky: later push() and end() throw it again', () => {
    const d = new CaptureDecoder();
    const bad = Uint8Array.of(1, 2, 3, 4, 5);
    assert.throws(() => d.push(bad), (e: unknown) => e instanceof CaptureError && e.code === CaptureErrorCode.BAD_MAGIC);
    assert.throws(() => d.push(seed), (e: unknown) => e instanceof CaptureError && e.code === CaptureErrorCode.BAD_MAGIC);
    assert.throws(() => d.end(), (e: unknown) => e instanceof CaptureError && e.code === CaptureErrorCode.BAD_MAGIC);
  });

  test('an exception from a handler propagates and stops the decoder for good', () => {
    const boom = new Error('handler failed');
    let calls = 0;
    const d = new CaptureDecoder({
      onRecord: () => {
        if (++calls === 2) throw boom;
      },
    });
    assert.throws(() => d.push(seed), (e: unknown) => e === boom);
    assert.throws(() => d.push(seed), (e: unknown) => e === boom);
    assert.throws(() => d.end(), (e: unknown) => e === boom);
    assert.equal(calls, 2);
  });

  test('push() after end() is a misuse', () => {
    const d = new CaptureDecoder();
    d.push(seed);
    d.end();
    assert.throws(() => d.push(seed), (e: unknown) => e instanceof CaptureError && e.code === CaptureErrorCode.MISUSE);
  });

  test('records delivered before an error are intact copies of the file bytes', () => {
    const got = decodeInChunks(seed.slice(0, 300), [5]);
    assert.equal(got.records.length, 3);
    assert.deepEqual(plain(got.records[2] ?? assert.fail()).data, Buffer.from(seed.subarray(192, 252)).toString('hex'));
  });
});
