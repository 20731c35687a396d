import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { synack } from './run.js';

const SEED = fileURLToPath(new URL('../fixtures/kb172983.pcap', import.meta.url));

interface Frame {
  frame: number;
  time: number;
  capturedLength: number;
  originalLength: number;
  ethernet: { src: string; dst: string; etherType: number };
  ipv4: { src: string; dst: string; ttl: number; identification: number; dontFragment: boolean; protocol: number; headerLength: number; totalLength: number; checksum: number; checksumValid: boolean };
  tcp: {
    srcPort: number;
    dstPort: number;
    seq: number;
    ack: number;
    headerLength: number;
    flags: Record<string, boolean>;
    window: number;
    checksum: number;
    checksumValid: boolean | null;
    urgentPointer: number;
    payloadLength: number;
    options: { kind: number; name: string; mss?: number }[];
  };
}

function jsonFrames(file: string, extra: string[] = []): Frame[] {
  const r = synack(['decode', '--json', ...extra, file]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Frame);
}

function setFlags(f: Record<string, boolean>): string[] {
  return Object.keys(f).filter((k) => f[k]);
}

describe('decode on the seed vector kb172983.pcap', () => {
  const frames = jsonFrames(SEED);

  test('has the seven frames of the seed captures', () => {
    assert.deepEqual(
      frames.map((f) => f.frame),
      [1, 2, 3, 4, 5, 6, 7],
    );
  });

  test('frame 1 is the SYN exactly as Network Monitor decoded it in the article', () => {
    const f = frames[0]!;
    // seeds/000_*.txt: "TCP: Source Port = 0x040D", "Destination Port = NETBIOS Session Service",
    // "Sequence Number = 8221822 (0x7D747E)", "Acknowledgement Number = 0", "Data Offset = 24",
    // "Flags = 0x02 : ....S.", "Window = 8192", "Checksum = 0xF213", "Option Value = 1460".
    assert.equal(f.ipv4.src, '131.107.2.214');
    assert.equal(f.ipv4.dst, '131.107.2.211');
    assert.equal(f.tcp.srcPort, 0x040d);
    assert.equal(f.tcp.dstPort, 139);
    assert.equal(f.tcp.seq, 8221822);
    assert.equal(f.tcp.ack, 0);
    assert.equal(f.tcp.headerLength, 24);
    assert.deepEqual(setFlags(f.tcp.flags), ['syn']);
    assert.equal(f.tcp.window, 8192);
    assert.equal(f.tcp.checksum, 0xf213);
    assert.equal(f.tcp.urgentPointer, 0);
    assert.deepEqual(f.tcp.options, [{ kind: 2, name: 'mss', mss: 1460 }]);
    assert.equal(f.tcp.payloadLength, 0);
  });

  test('frame 2 is the SYN-ACK acknowledging 8221823 with window 8760', () => {
    const f = frames[1]!;
    assert.equal(f.tcp.srcPort, 139);
    assert.equal(f.tcp.dstPort, 1037);
    assert.equal(f.tcp.seq, 1109645);
    assert.equal(f.tcp.ack, 8221823);
    assert.deepEqual(setFlags(f.tcp.flags).sort(), ['ack', 'syn']);
    assert.equal(f.tcp.window, 8760);
    assert.equal(f.tcp.checksum, 0x012d);
    assert.deepEqual(f.tcp.options, [{ kind: 2, name: 'mss', mss: 1460 }]);
  });

  test('frame 3 is the ACK that completes the handshake (seq 8221823, ack 1109646)', () => {
    const f = frames[2]!;
    assert.equal(f.tcp.seq, 8221823);
    assert.equal(f.tcp.ack, 1109646);
    assert.deepEqual(setFlags(f.tcp.flags), ['ack']);
    assert.equal(f.tcp.headerLength, 20);
    assert.deepEqual(f.tcp.options, []);
  });

  test('frames 4-7 are the close of another connection, ports 2337 and 1352, as their bytes say', () => {
    const [f4, f5, f6, f7] = frames.slice(3);
    for (const f of [f4!, f5!, f6!, f7!]) assert.deepEqual([f.tcp.srcPort, f.tcp.dstPort].sort(), [1352, 2337]);
    assert.deepEqual(setFlags(f4!.tcp.flags).sort(), ['ack', 'fin']);
    assert.equal(f4!.tcp.ack, 3462835714);
    assert.equal(f5!.tcp.ack, f4!.tcp.seq + 1, 'the FIN takes one sequence number');
    assert.deepEqual(setFlags(f6!.tcp.flags).sort(), ['ack', 'fin']);
    assert.equal(f7!.tcp.ack, f6!.tcp.seq + 1);
    assert.notEqual(f4!.ipv4.src, frames[0]!.ipv4.src, 'other hosts than frames 1-3');
  });

  test('every IPv4 and TCP checksum in the seed vector is good', () => {
    for (const f of frames) {
      assert.equal(f.ipv4.checksumValid, true, `frame ${f.frame} IPv4`);
      assert.equal(f.tcp.checksumValid, true, `frame ${f.frame} TCP`);
    }
  });

  test('--frames and --port select frames', () => {
    assert.deepEqual(
      jsonFrames(SEED, ['--frames', '2-3,6']).map((f) => f.frame),
      [2, 3, 6],
    );
    assert.deepEqual(
      jsonFrames(SEED, ['--port', '1352']).map((f) => f.frame),
      [4, 5, 6, 7],
    );
  });
});

describe('decode text output', () => {
  test('the summary shows flags in the seeds\' style, seq, ack, window and length', () => {
    const r = synack(['decode', '--time', 'abs', SEED]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 7);
    assert.match(lines[0]!, /^ +1 2\.078500 131\.107\.2\.214:1037 -> 131\.107\.2\.211:139 TCP \.\.\.\.S\. \[SYN\] seq=8221822 ack=0 win=8192 len=0 <mss 1460>$/);
    assert.match(lines[1]!, /TCP \.A\.\.S\. \[SYN, ACK\] seq=1109645 ack=8221823 win=8760 len=0/);
  });

  test('-V prints the fields with decimal and hex values as the seed does', () => {
    const r = synack(['decode', '-V', '--frames', '1', SEED]);
    assert.equal(r.status, 0, r.stderr);
    for (const want of [
      'TCP:    Sequence Number = 8221822 (0x7D747E)',
      'TCP:    Acknowledgement Number = 0 (0x0)',
      'TCP:    Window = 8192 (0x2000)',
      'TCP:    Checksum = 0xF213 [good]',
      'Option Value = 1460 (0x5B4)',
      '.......1. = Synchronize sequence numbers',
      'NETBIOS Session Service',
    ]) {
      assert.ok(r.stdout.includes(want), `missing '${want}' in:\n${r.stdout}`);
    }
  });

  test('-V marks a bad checksum and says what it should be', () => {
    const bytes = new Uint8Array(readFileSync(SEED));
    // Frame 1's TCP checksum sits at file offset 24 (file header) + 16 (record header) + 14 + 20 + 16.
    const at = 24 + 16 + 14 + 20 + 16;
    assert.equal((bytes[at]! << 8) | bytes[at + 1]!, 0xf213);
    bytes[at + 1] = 0x14;
    const file = join(mkdtempSync(join(tmpdir(), 'synack-')), 'bad.pcap');
    writeFileSync(file, bytes);
    const r = synack(['decode', '-V', '--frames', '1', file]);
    assert.ok(r.stdout.includes('Checksum = 0xF214 [BAD, should be 0xF213]'), r.stdout);
    const j = jsonFrames(file, ['--frames', '1'])[0]!;
    assert.equal(j.tcp.checksumValid, false);
  });

  test('-x adds the hex dump of the seed', () => {
    const r = synack(['decode', '-x', '--frames', '1', SEED]);
    assert.ok(r.stdout.includes('00020:  02 D3 04 0D 00 8B 00 7D 74 7E 00 00 00 00 60 02'), r.stdout);
  });
});

describe('decode on damaged files', () => {
  const seed = new Uint8Array(readFileSync(SEED));
  const dir = mkdtempSync(join(tmpdir(), 'synack-bad-'));
  const write = (name: string, bytes: Uint8Array): string => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };
  // Record layout of the seed: 24-byte header, then (16-byte record header + 60/54 bytes) each.
  const rec2 = 24 + 16 + 60;

  const cases: { name: string; bytes: () => Uint8Array; frames: number; offset: RegExp }[] = [
    { name: 'wrong magic', bytes: () => Uint8Array.from([0xde, 0xad, 0xbe, 0xef, ...seed.subarray(4)]), frames: 0, offset: /byte 0/ },
    { name: 'truncated file header', bytes: () => seed.subarray(0, 10), frames: 0, offset: /byte 0/ },
    { name: 'truncated record', bytes: () => seed.subarray(0, rec2 + 30), frames: 1, offset: new RegExp(`byte ${rec2}`) },
    {
      name: 'caplen larger than the rest of the file',
      bytes: () => {
        const b = seed.slice(0, rec2 + 16 + 60);
        new DataView(b.buffer).setUint32(rec2 + 8, 5000, true);
        return b;
      },
      frames: 1,
      offset: new RegExp(`byte ${rec2}`),
    },
    {
      name: 'caplen larger than snaplen',
      bytes: () => {
        const b = seed.slice();
        new DataView(b.buffer).setUint32(16, 40, true);
        return b;
      },
      frames: 0,
      offset: /byte 24/,
    },
    {
      name: 'a giant caplen',
      bytes: () => {
        const b = seed.slice();
        new DataView(b.buffer).setUint32(rec2 + 8, 0xfffffff0, true);
        return b;
      },
      frames: 1,
      offset: new RegExp(`byte ${rec2}`),
    },
  ];

  for (const c of cases) {
    test(`${c.name}: frames before the damage, one error line with the offset, exit 2`, () => {
      const r = synack(['decode', write(c.name.replace(/\W+/g, '-') + '.pcap', c.bytes())]);
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stdout.trim() === '' ? 0 : r.stdout.trim().split('\n').length, c.frames);
      const errLines = r.stderr.trim().split('\n');
      assert.equal(errLines.length, 1, r.stderr);
      assert.match(errLines[0]!, /^synack: /);
      assert.match(errLines[0]!, c.offset);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    });
  }

  test('pcapng blocks with zero, giant and unaligned lengths are refused with their offset', () => {
    const shb = Uint8Array.from([
      0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0,
    ]);
    for (const [len, what] of [
      [0, 'zero'],
      [0x7ffffff0, 'giant'],
      [30, 'unaligned'],
    ] as const) {
      const block = new Uint8Array(32);
      const v = new DataView(block.buffer);
      v.setUint32(0, 6, true);
      v.setUint32(4, len, true);
      const r = synack(['decode', write(`ng-${what}.pcapng`, Uint8Array.from([...shb, ...block]))]);
      assert.equal(r.status, 2, `${what}: ${r.stderr}`);
      assert.match(r.stderr, /byte 28/, what);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
  });

  test('a missing file is one line and exit 2', () => {
    const r = synack(['decode', join(dir, 'nope.pcap')]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^synack: .*nope\.pcap: no such file\n$/);
  });
});
