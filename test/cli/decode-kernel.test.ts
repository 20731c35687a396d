// `synack decode`'s summary path end to end (the file read into the WebAssembly kernel's memory,
// packets delivered without records, lines written by the kernel or SummaryWriter) against the
// general path it must equal, summaryLine(dissect(record), t.toFixed(6)) over the capture layer's
// records: on every capture fixture (pcap and pcapng, every link type, nanosecond and big-endian
// files), and on several megabytes of synthetic traffic with damaged frames, where records
// straddle the 1 MiB reads, in each time mode.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { dissect } from '../../src/analyze/dissect.js';
import { summaryLine, type TimeMode } from '../../src/analyze/summary.js';
import { decodeCapture } from '../../src/capture/decoder.js';
import { PcapWriter, type WritablePacket } from '../../src/capture/pcap.js';
import { PcapngWriter } from '../../src/capture/pcapng.js';
import { decodeFile } from '../../src/cli/decode.js';
import { LineWriter } from '../../src/cli/output.js';
import { mulberry32, syntheticTraffic } from '../../bench/traffic.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const MODES: readonly TimeMode[] = ['rel', 'abs', 'delta'];

/** The general path's lines for the file, as decode printed them before the byte paths. */
function reference(bytes: Uint8Array, mode: TimeMode): string {
  const { records, error } = decodeCapture(bytes);
  assert.equal(error, undefined);
  let first: number | undefined;
  let previous: number | undefined;
  let out = '';
  for (const r of records) {
    first ??= r.timestamp;
    const t = mode === 'abs' ? r.timestamp : mode === 'rel' ? r.timestamp - first : r.timestamp - (previous ?? r.timestamp);
    previous = r.timestamp;
    out += summaryLine(dissect(r), t.toFixed(6)) + '\n';
  }
  return out;
}

/** decodeFile as the CLI runs it, its standard output a file (written with writeSync, as /dev/null is). */
async function decoded(file: string, mode: TimeMode, dir: string): Promise<string> {
  const path = join(dir, 'out.txt');
  const fd = openSync(path, 'w');
  try {
    const stream = new Writable({
      write(chunk: Uint8Array, _encoding, callback) {
        writeSync(fd, chunk);
        callback();
      },
    });
    Object.defineProperty(stream, 'fd', { value: fd });
    assert.equal(await decodeFile(file, { time: mode }, new LineWriter(stream)), 0);
  } finally {
    closeSync(fd);
  }
  return readFileSync(path, 'utf8');
}

function fixtureFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (/\.(pcap|pcapng)$/.test(e.name)) out.push(join(dir, e.name));
    }
  };
  walk(FIXTURES);
  return out.sort();
}

/** Synthetic traffic with some frames damaged: bytes flipped, cut short, or padded. */
function traffic(frames: number): WritablePacket[] {
  const rng = mulberry32(0xdec0de);
  const out: WritablePacket[] = [];
  for (const p of syntheticTraffic({ frames, seed: 0xface })) {
    let data = p.data;
    const roll = rng();
    if (roll < 0.03) {
      data = data.slice();
      const at = Math.floor(rng() * data.length);
      data[at] = (data[at] ?? 0) ^ (1 + Math.floor(rng() * 255));
    } else if (roll < 0.04) {
      data = data.slice(0, Math.floor(rng() * data.length));
    } else if (roll < 0.05) {
      data = new Uint8Array([...data, 0, 0, 0, 0, 0, 0]);
    }
    out.push({ tsSec: p.tsSec, tsNsec: p.tsNsec, data });
  }
  return out;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return all;
}

describe('decode summaries (WebAssembly kernel) equal the general path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sk-decode-kernel-'));
  test.after(() => rmSync(dir, { recursive: true, force: true }));

  test('on every capture fixture, in every time mode', async () => {
    const files = fixtureFiles();
    assert.ok(files.length >= 10, files.join(', '));
    for (const file of files) {
      const bytes = new Uint8Array(readFileSync(file));
      if (decodeCapture(bytes).error !== undefined) continue; // damaged on purpose: test/cli/decode.test.ts
      for (const mode of MODES) assert.equal(await decoded(file, mode, dir), reference(bytes, mode), `${file}, --time ${mode}`);
    }
  });

  test('on 6 MB of traffic with damaged frames, records straddling the reads, as pcap (µs and ns) and pcapng', async () => {
    const packets = traffic(7000);
    // Microsecond pcap (times the kernel writes), nanosecond pcap and pcapng (some times are
    // toFixed's to round, in JavaScript).
    const us = new PcapWriter({ linkType: 1 });
    const pcap = new PcapWriter({ linkType: 1, nanosecond: true });
    const ng = new PcapngWriter();
    const files: [string, Uint8Array][] = [
      ['traffic-us.pcap', concat([us.header(), ...packets.map((p) => us.packet(p))])],
      ['traffic.pcap', concat([pcap.header(), ...packets.map((p) => pcap.packet(p))])],
      ['traffic.pcapng', concat([ng.sectionHeader(), ng.addInterface({ linkType: 1 }), ...packets.map((p) => ng.packet(p))])],
    ];
    for (const [name, bytes] of files) {
      assert.ok(bytes.length > 5 << 20, `${name}: ${bytes.length} bytes`);
      const file = join(dir, name);
      writeFileSync(file, bytes);
      for (const mode of MODES) assert.equal(await decoded(file, mode, dir), reference(bytes, mode), `${name}, --time ${mode}`);
    }
  });
});
