/**
 * Reading pcap and pcapng fixtures: every record must equal what tshark reports for the same file
 * (time, wire length, captured length, interface, section), from the committed *.tshark.tsv files
 * made by make_fixtures.sh. Plus header fields and the seed vector checked against its bytes.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCapture } from '../../src/capture/decoder.js';
import { LinkType } from '../../src/capture/linktype.js';
import { SEED, decodeInChunks, epoch, fixture, tsv } from './helpers.js';

describe('the seed vector kb172983.pcap', () => {
  const bytes = fixture(SEED);
  const got = decodeCapture(bytes);

  test('holds 7 Ethernet records of 60/60/60/54/60/60/54 bytes, as tshark says', () => {
    assert.equal(got.error, undefined);
    assert.deepEqual(
      got.records.map((r) => r.capturedLength),
      [60, 60, 60, 54, 60, 60, 54],
    );
    assert.deepEqual(
      got.records.map((r) => r.originalLength),
      [60, 60, 60, 54, 60, 60, 54],
    );
    assert.ok(got.records.every((r) => r.linkType === LinkType.ETHERNET && r.interfaceId === 0));
    assert.deepEqual(
      got.records.map((r) => r.frame),
      [1, 2, 3, 4, 5, 6, 7],
    );
  });

  test('timestamps are the file header fields: 2.078500 s for frame 1 ... 17.008500 s for frame 7', () => {
    // Frame 1 header bytes at offset 24: 02000000 a4320100 -> 2 s, 0x132a4 = 78500 us.
    assert.deepEqual([got.records[0]?.tsSec, got.records[0]?.tsNsec], [2, 78_500_000]);
    assert.equal(got.records[0]?.timestamp, 2.0785);
    assert.deepEqual([got.records[6]?.tsSec, got.records[6]?.tsNsec], [17, 8_500_000]);
  });

  test('records point at their headers: 24 + sum of (16 + caplen) before them', () => {
    let at = 24;
    for (const r of got.records) {
      assert.equal(r.fileOffset, at);
      assert.deepEqual(r.data, bytes.subarray(at + 16, at + 16 + r.capturedLength));
      at += 16 + r.capturedLength;
    }
    assert.equal(at, bytes.length);
  });

  test('the file header says version 2.4, snaplen 65535, Ethernet, microseconds, little-endian', () => {
    assert.equal(got.format, 'pcap');
    assert.deepEqual(got.pcapHeader, {
      bigEndian: false,
      nanosecond: false,
      versionMajor: 2,
      versionMinor: 4,
      thiszone: 0,
      sigfigs: 0,
      snaplen: 65535,
      linkType: 1,
      linkTypeField: 1,
      fcsPresent: false,
      fcsLength: 0,
    });
  });

  test('data is a zero-copy view of the input when a record lies inside one chunk', () => {
    assert.equal(got.records[0]?.data.buffer, bytes.buffer);
  });
});

/** Compare our records with tshark's rows (custom-block pseudo-frames excluded: we skip those blocks). */
function matchesTshark(file: string, expected: string): void {
  const got = decodeCapture(fixture(file));
  assert.equal(got.error, undefined, got.error?.message);
  const rows = tsv(expected).filter((r) => r['_ws.col.Protocol'] !== 'PCAPNG');
  assert.equal(got.records.length, rows.length);
  got.records.forEach((r, i) => {
    const row = rows[i] ?? {};
    const [sec, nsec] = epoch(row['frame.time_epoch'] ?? '');
    const iface = got.interfaces[r.interfaceId];
    assert.ok(iface !== undefined);
    const mine = {
      sec: r.tsSec,
      nsec: r.tsNsec,
      len: r.originalLength,
      cap: r.capturedLength,
      iface: got.format === 'pcapng' ? String(iface.localId) : '',
      section: got.format === 'pcapng' ? String(iface.section + 1) : '',
    };
    const theirs = {
      sec,
      nsec,
      len: Number(row['frame.len']),
      cap: Number(row['frame.cap_len']),
      // tshark leaves interface_id empty for SPBs (no interface field in the block): interface 0.
      iface: got.format === 'pcapng' && row['frame.interface_id'] === '' ? '0' : row['frame.interface_id'],
      section: row['frame.section_number'],
    };
    assert.deepEqual(mine, theirs, `frame ${r.frame} of ${file}`);
    assert.equal(r.data.length, r.capturedLength);
  });
}

describe('records equal tshark on converted and hand-made files', () => {
  const cases: [string, string][] = [
    ['kb172983.pcapng', 'editcap -F pcapng of the seed'],
    ['kb172983.nsec.pcap', 'editcap -F nsecpcap of the seed'],
    ['kb172983.be.pcap', 'big-endian pcap written with python struct'],
    ['lo-nano.pcap', 'tcpdump --time-stamp-precision=nano capture'],
    ['lo-nano.pcapng', 'editcap -F pcapng of a nanosecond capture'],
    ['linux-sll.pcap', 'tcpdump -i any -y LINUX_SLL'],
    ['linux-sll2.pcap', 'tcpdump -i any (SLL2)'],
    ['features.be.pcapng', 'big-endian pcapng with IDB options, NRB, SPB, PB, ISB, custom block'],
    ['multi-section.pcapng', 'three sections, little- then big- then little-endian'],
    ['null.pcap', 'NULL link type'],
  ];
  for (const [file, how] of cases) {
    test(`${file} (${how})`, () => matchesTshark(file, `${file}.tshark.tsv`));
  }
  test('kb172983.pcap itself', () => matchesTshark(SEED, 'kb172983.pcap.tshark.tsv'));
});

describe('pcap variants carry the same packets', () => {
  const seed = decodeCapture(fixture(SEED)).records;
  test('nanosecond and big-endian copies of the seed give the same bytes and times', () => {
    for (const name of ['kb172983.nsec.pcap', 'kb172983.be.pcap', 'kb172983.pcapng']) {
      const other = decodeCapture(fixture(name));
      assert.equal(other.error, undefined);
      assert.deepEqual(
        other.records.map((r) => [r.tsSec, r.tsNsec, Buffer.from(r.data).toString('hex')]),
        seed.map((r) => [r.tsSec, r.tsNsec, Buffer.from(r.data).toString('hex')]),
        name,
      );
    }
  });

  test('the headers say which variant each file is', () => {
    const ns = decodeCapture(fixture('kb172983.nsec.pcap')).pcapHeader;
    const be = decodeCapture(fixture('kb172983.be.pcap')).pcapHeader;
    assert.equal(ns?.nanosecond, true);
    assert.equal(ns?.bigEndian, false);
    assert.equal(be?.nanosecond, false);
    assert.equal(be?.bigEndian, true);
    assert.equal(be?.snaplen, 65535);
  });

  test('the FCS bits of the LinkType field are decoded (P bit 0x04000000, length in 16-bit words)', () => {
    const bytes = fixture(SEED).slice(0, 24);
    // LinkType field 0x24000001: FCS len 2 words, P set, Ethernet (libpcap LT_FCS_DATALINK_EXT(2) | 1).
    new DataView(bytes.buffer).setUint32(20, 0x24000001, true);
    const h = decodeCapture(bytes).pcapHeader;
    assert.deepEqual([h?.linkType, h?.fcsPresent, h?.fcsLength, h?.linkTypeField], [1, true, 4, 0x24000001]);
  });
});

describe('pcapng metadata', () => {
  const got = decodeCapture(fixture('features.be.pcapng'));

  test('the big-endian section header and its options', () => {
    assert.deepEqual(got.sections, [
      {
        index: 0,
        bigEndian: true,
        versionMajor: 1,
        versionMinor: 0,
        sectionLength: undefined,
        hardware: 'fixture-hw',
        os: 'handmade',
        userAppl: 'make_fixtures.py',
        comments: ['big-endian section'],
        fileOffset: 0,
      },
    ]);
  });

  test('interface options: names, both if_tsresol forms, if_tsoffset, snaplen (capinfos agrees)', () => {
    const [a, b] = got.interfaces;
    assert.equal(a?.name, 'eth-fixture0');
    assert.equal(a?.description, 'first interface');
    assert.deepEqual(a?.tsResolution, { base: 2, exponent: 20 }); // capinfos: resolution 0x94, 1048576 ticks/s
    assert.equal(a?.tsOffset, 1000);
    assert.equal(a?.snaplen, 64);
    assert.equal(a?.linkType, LinkType.ETHERNET);
    assert.equal(b?.name, 'raw1');
    assert.deepEqual(b?.tsResolution, { base: 10, exponent: 9 });
    assert.equal(b?.linkType, LinkType.RAW);
    assert.equal(b?.snaplen, 0);
  });

  test('a 2^-20 s timestamp floors to nanoseconds the way tshark shows it', () => {
    // 12345 / 2^20 s = 0.011773109436... s; plus if_tsoffset 1000 s.
    assert.deepEqual([got.records[0]?.tsSec, got.records[0]?.tsNsec], [1_700_001_000, 11_773_109]);
  });

  test('EPB options: epb_flags and comments', () => {
    assert.equal(got.records[0]?.flags, 1);
    assert.equal(got.records[0]?.comments, undefined);
    assert.deepEqual(got.records[1]?.comments, ['second interface']);
    assert.equal(got.records[1]?.flags, undefined);
  });

  test('SPBs take interface 0 and its snaplen: original 100 keeps 64 bytes', () => {
    const spbs = got.records.slice(2, 4);
    assert.deepEqual(
      spbs.map((r) => [r.interfaceId, r.originalLength, r.capturedLength, r.tsSec]),
      [
        [0, 60, 60, 0],
        [0, 100, 64, 0],
      ],
    );
  });

  test('the obsolete Packet Block is read like an EPB', () => {
    const pb = got.records[4];
    assert.deepEqual([pb?.capturedLength, pb?.tsSec, pb?.tsNsec, pb?.interfaceId], [54, 1_700_001_001, 11_773_109, 0]);
  });

  test('Name Resolution Block: addresses and names (tshark -z hosts lists the same)', () => {
    assert.equal(got.names.length, 1);
    const nrb = got.names[0];
    assert.equal(nrb?.dnsName, 'ns.example');
    assert.deepEqual(
      nrb?.entries.map((e) => [e.recordType, e.addressText, e.names]),
      [
        [1, '10.0.0.1', ['alpha.example', 'alpha2.example']],
        [2, '2001:db8::1', ['beta.example']],
      ],
    );
  });

  test('Interface Statistics Block: counters and times in the interface resolution', () => {
    assert.equal(got.statistics.length, 1);
    const s = got.statistics[0];
    assert.equal(s?.interfaceId, 0);
    assert.equal(s?.ifRecv, 5);
    assert.equal(s?.ifDrop, 1);
    assert.deepEqual(s?.startTime, { sec: 1_700_001_000, nsec: 11_773_109 });
    assert.deepEqual(s?.endTime, { sec: 1_700_001_005, nsec: 11_773_109 });
    assert.deepEqual(s?.time, s?.endTime);
    assert.deepEqual(s?.comments, ['stats']);
  });

  test('custom and unknown blocks are skipped: 5 packets, numbered 1..5', () => {
    assert.deepEqual(
      got.records.map((r) => r.frame),
      [1, 2, 3, 4, 5],
    );
  });
});

describe('several sections in one file', () => {
  const got = decodeCapture(fixture('multi-section.pcapng'));

  test('each section has its byte order, and interfaces restart at 0 per section', () => {
    assert.deepEqual(
      got.sections.map((s) => s.bigEndian),
      [false, true, false],
    );
    assert.deepEqual(
      got.interfaces.map((i) => [i.id, i.section, i.localId]),
      [
        [0, 0, 0],
        [1, 1, 0],
        [2, 1, 1],
        [3, 2, 0],
      ],
    );
  });

  test('frames count across sections, and records name file-wide interfaces', () => {
    assert.equal(got.records.length, 7 + 5 + 16);
    assert.deepEqual(
      got.records.map((r) => r.frame),
      Array.from({ length: 28 }, (_, i) => i + 1),
    );
    // Runs of interface ids: section 1 (7 on if 0), section 2 (if 1, if 2, then 3 on local 0), section 3.
    const runs = got.records.map((r) => r.interfaceId).filter((id, i, all) => i === 0 || all[i - 1] !== id);
    assert.deepEqual(runs, [0, 1, 2, 1, 3]);
  });

  test('the same records come out when the file is fed one byte at a time', () => {
    const bytes = fixture('multi-section.pcapng');
    const slow = decodeInChunks(bytes, [1]);
    assert.equal(slow.error, undefined);
    assert.deepEqual(
      slow.records.map((r) => ({ ...r, data: Buffer.from(r.data).toString('hex') })),
      got.records.map((r) => ({ ...r, data: Buffer.from(r.data).toString('hex') })),
    );
  });
});
