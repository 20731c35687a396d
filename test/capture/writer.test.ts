/**
 * Writers: what PcapWriter and PcapngWriter produce reads back to the same packets, and tshark and
 * capinfos open it with exit status 0 and nothing on stderr, reporting the same times, lengths
 * and comments (skipped with a message when Wireshark's tools are not installed).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { decodeCapture } from '../../src/capture/decoder.js';
import { CaptureError, CaptureErrorCode } from '../../src/capture/errors.js';
import { LinkType } from '../../src/capture/linktype.js';
import { PcapWriter } from '../../src/capture/pcap.js';
import { PcapngWriter } from '../../src/capture/pcapng.js';
import type { CaptureRecord } from '../../src/capture/types.js';
import { SEED, epoch, fixture, haveTshark, tshark } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sk-capture-writer-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const essentials = (r: CaptureRecord): unknown[] => [r.tsSec, r.tsNsec, r.originalLength, Buffer.from(r.data).toString('hex'), r.comments];

const seedRecords = decodeCapture(fixture(SEED)).records;
const nanoRecords = decodeCapture(fixture('lo-nano.pcap')).records;

/** tshark must open the file cleanly and agree on each packet's time, lengths and comment. */
function tsharkAgrees(file: string, expected: readonly CaptureRecord[], t: { skip: (m: string) => void }): void {
  if (!haveTshark()) {
    t.skip('tshark not installed (CI installs it): written files not checked against Wireshark');
    return;
  }
  const plain = tshark(['-r', file]);
  assert.equal(plain.status, 0, plain.stderr);
  assert.equal(plain.stderr, '', 'tshark printed warnings');
  const cap = spawnSync('capinfos', [file], { encoding: 'utf8' });
  assert.equal(cap.status, 0, cap.stderr);
  const f = tshark(['-r', file, '-T', 'fields', '-E', 'separator=|', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.cap_len', '-e', 'frame.comment']);
  assert.equal(f.status, 0, f.stderr);
  const rows = f.stdout.trim().split('\n');
  assert.equal(rows.length, expected.length);
  rows.forEach((row, i) => {
    const [time = '', len, caplen, comment = ''] = row.split('|');
    const r = expected[i];
    assert.ok(r !== undefined);
    assert.deepEqual([...epoch(time), Number(len), Number(caplen), comment], [r.tsSec, r.tsNsec, r.originalLength, r.capturedLength, (r.comments ?? []).join(',')]);
  });
}

describe('pcap writer', () => {
  test('microsecond pcap of the seed is byte-identical to the seed', () => {
    // The seed is a plain little-endian 2.4 µs pcap with snaplen 65535: the same header we write.
    const w = new PcapWriter({ linkType: LinkType.ETHERNET, snaplen: 65535 });
    const bytes = concat([w.header(), ...seedRecords.map((r) => w.packet(r))]);
    assert.deepEqual(bytes, fixture(SEED));
  });

  test('nanosecond pcap round trip, opened cleanly by tshark', (t) => {
    const w = new PcapWriter({ linkType: LinkType.ETHERNET, nanosecond: true });
    const bytes = concat([w.header(), ...nanoRecords.map((r) => w.packet(r))]);
    const back = decodeCapture(bytes);
    assert.equal(back.error, undefined);
    assert.equal(back.pcapHeader?.nanosecond, true);
    assert.deepEqual(back.records.map(essentials), nanoRecords.map(essentials));
    const file = join(dir, 'nano.pcap');
    writeFileSync(file, bytes);
    tsharkAgrees(file, nanoRecords, t);
  });

  test('microsecond pcap truncates nanoseconds; big-endian is read back the same', (t) => {
    const w = new PcapWriter({ linkType: LinkType.ETHERNET, bigEndian: true });
    const bytes = concat([w.header(), ...nanoRecords.map((r) => w.packet(r))]);
    const back = decodeCapture(bytes);
    assert.equal(back.pcapHeader?.bigEndian, true);
    const truncated = nanoRecords.map((r) => ({ ...r, tsNsec: r.tsNsec - (r.tsNsec % 1000) }));
    assert.deepEqual(back.records.map(essentials), truncated.map(essentials));
    const file = join(dir, 'be.pcap');
    writeFileSync(file, bytes);
    tsharkAgrees(file, truncated, t);
  });

  test('impossible packets are refused with MISUSE', () => {
    const w = new PcapWriter({ linkType: 1, snaplen: 10 });
    const misuse = (e: unknown): boolean => e instanceof CaptureError && e.code === CaptureErrorCode.MISUSE;
    assert.throws(() => w.packet({ tsSec: 0, tsNsec: 0, data: new Uint8Array(11) }), misuse);
    assert.throws(() => w.packet({ tsSec: -1, tsNsec: 0, data: new Uint8Array(1) }), misuse);
    assert.throws(() => w.packet({ tsSec: 2 ** 32, tsNsec: 0, data: new Uint8Array(1) }), misuse);
    assert.throws(() => w.packet({ tsSec: 1, tsNsec: 1e9, data: new Uint8Array(1) }), misuse);
    assert.throws(() => w.packet({ tsSec: 1, tsNsec: 0.5, data: new Uint8Array(1) }), misuse);
    assert.throws(() => w.packet({ tsSec: 1, tsNsec: 0, data: new Uint8Array(4), originalLength: 3 }), misuse);
    assert.throws(() => new PcapWriter({ linkType: 70000 }), misuse);
  });
});

describe('pcapng writer', () => {
  function twoInterfaceFile(): { bytes: Uint8Array; written: CaptureRecord[] } {
    const w = new PcapngWriter();
    const chunks = [w.sectionHeader(), w.addInterface({ linkType: LinkType.ETHERNET, name: 'eth0' }), w.addInterface({ linkType: LinkType.LINUX_SLL2, name: 'any', description: 'all interfaces' })];
    const sll2 = decodeCapture(fixture('linux-sll2.pcap')).records;
    const written: CaptureRecord[] = [];
    for (let i = 0; i < 8; i++) {
      const a = nanoRecords[i];
      const b = sll2[i];
      if (a === undefined || b === undefined) break;
      const withComment = i % 3 === 0 ? { ...a, comments: [`packet ${i} — ünïcode`] } : a;
      chunks.push(w.packet({ ...withComment, interfaceId: 0 }), w.packet({ ...b, interfaceId: 1 }));
      written.push(withComment, b);
    }
    return { bytes: concat(chunks), written };
  }

  test('round trip with two interfaces, comments, nanosecond stamps', () => {
    const { bytes, written } = twoInterfaceFile();
    const back = decodeCapture(bytes);
    assert.equal(back.error, undefined);
    assert.deepEqual(back.records.map(essentials), written.map(essentials));
    assert.deepEqual(
      back.records.map((r) => r.linkType),
      written.map((r) => r.linkType),
    );
    assert.equal(back.sections[0]?.userAppl, 'synack');
    assert.deepEqual(
      back.interfaces.map((i) => [i.name, i.linkType, i.tsResolution.exponent, i.tsResolution.base]),
      [
        ['eth0', 1, 9, 10],
        ['any', 276, 9, 10],
      ],
    );
    assert.equal(back.interfaces[1]?.description, 'all interfaces');
  });

  test('tshark and capinfos open it with no warnings and agree', (t) => {
    const { bytes, written } = twoInterfaceFile();
    const file = join(dir, 'two.pcapng');
    writeFileSync(file, bytes);
    tsharkAgrees(file, written, t);
    if (!haveTshark()) return;
    const info = spawnSync('capinfos', [file], { encoding: 'utf8' }).stdout;
    assert.match(info, /Capture application:\s+synack/);
    assert.match(info, /Name = eth0/);
    assert.match(info, /Time resolution = 0x09/);
  });

  test('big-endian sections are written and read back', () => {
    const w = new PcapngWriter({ bigEndian: true, os: 'Linux', hardware: 'x86_64', comments: ['made by a test'] });
    const bytes = concat([w.sectionHeader(), w.addInterface({ linkType: 1 }), ...seedRecords.map((r) => w.packet(r))]);
    const back = decodeCapture(bytes);
    assert.equal(back.error, undefined);
    assert.deepEqual(back.sections.map((s) => [s.bigEndian, s.os, s.hardware, s.comments]), [[true, 'Linux', 'x86_64', ['made by a test']]]);
    assert.deepEqual(back.records.map(essentials), seedRecords.map(essentials));
  });

  test('any packets survive a write and read (property)', () => {
    const packet = fc.record({
      tsSec: fc.integer({ min: 0, max: 18446744072 }),
      tsNsec: fc.integer({ min: 0, max: 999_999_999 }),
      data: fc.uint8Array({ maxLength: 300 }),
      extra: fc.nat({ max: 5000 }),
      comment: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(packet, { maxLength: 20 }), fc.boolean(), (packets, bigEndian) => {
        const w = new PcapngWriter({ bigEndian });
        const chunks = [w.sectionHeader(), w.addInterface({ linkType: 101, snaplen: 0 })];
        for (const p of packets) {
          chunks.push(
            w.packet({
              tsSec: p.tsSec,
              tsNsec: p.tsNsec,
              data: p.data,
              originalLength: p.data.length + p.extra,
              ...(p.comment !== undefined ? { comments: [p.comment] } : {}),
            }),
          );
        }
        const back = decodeCapture(concat(chunks));
        assert.equal(back.error, undefined);
        assert.deepEqual(
          back.records.map((r) => [r.tsSec, r.tsNsec, [...r.data], r.originalLength, r.comments?.[0]]),
          packets.map((p) => [p.tsSec, p.tsNsec, [...p.data], p.data.length + p.extra, p.comment]),
        );
      }),
      { numRuns: 200 },
    );
  });

  test('order and interface misuse is refused', () => {
    const misuse = (e: unknown): boolean => e instanceof CaptureError && e.code === CaptureErrorCode.MISUSE;
    const w = new PcapngWriter();
    assert.throws(() => w.addInterface({ linkType: 1 }), misuse);
    w.sectionHeader();
    assert.throws(() => w.sectionHeader(), misuse);
    assert.throws(() => w.packet({ tsSec: 0, tsNsec: 0, data: new Uint8Array(1) }), misuse);
    w.addInterface({ linkType: 1, snaplen: 4 });
    assert.throws(() => w.packet({ tsSec: 0, tsNsec: 0, data: new Uint8Array(5) }), misuse);
    assert.throws(() => w.packet({ tsSec: 0, tsNsec: 0, data: new Uint8Array(1), interfaceId: 1 }), misuse);
    assert.throws(() => w.packet({ tsSec: 0, tsNsec: 0, data: new Uint8Array(1), comments: ['x'.repeat(70000)] }), misuse);
  });
});
