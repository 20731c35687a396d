// The benchmark's synthetic capture (bench/traffic.ts) is what it claims to be, as tshark reads it:
// correct IPv4 header and TCP checksums, TCP conversations whose sequence and acknowledgment
// numbers add up (no gaps tshark would call lost or unseen), IPv6 and VLAN frames among them, and
// the same bytes from the same seed. Skipped without tshark.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeChunksToFile } from '../../src/capture/node.js';
import { PcapWriter } from '../../src/capture/pcap.js';
import { syntheticTraffic } from '../../bench/traffic.js';

const FRAMES = 4000;
const tshark = spawnSync('tshark', ['--version'], { encoding: 'utf8' }).status === 0;

async function capture(dir: string): Promise<string> {
  const path = join(dir, 'traffic.pcap');
  const w = new PcapWriter({ linkType: 1 });
  await writeChunksToFile(path, [w.header(), ...Array.from(syntheticTraffic({ frames: FRAMES }), (p) => w.packet(p))]);
  return path;
}

function fields(path: string, filter: string, names: readonly string[]): string[][] {
  const r = spawnSync(
    'tshark',
    ['-n', '-r', path, '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'tcp.relative_sequence_numbers:FALSE', '-Y', filter, '-T', 'fields', ...names.flatMap((n) => ['-e', n])],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

describe('synthetic benchmark traffic', { skip: tshark ? false : 'tshark not installed' }, () => {
  test('tshark finds every checksum good, no malformed frame and no sequence gap', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sk-bench-traffic-'));
    try {
      const path = await capture(dir);
      assert.equal(fields(path, 'frame', ['frame.number']).length, FRAMES);
      // tcp.checksum.status: 1 good, 0 bad, 2 unverified; ip.checksum.status likewise.
      assert.deepEqual(fields(path, 'tcp.checksum.status != 1 || ip.checksum.status == 0 || _ws.malformed', ['frame.number']), []);
      // A segment after a gap, or an ACK for data never seen, would mean our numbers do not add up.
      assert.deepEqual(fields(path, 'tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment', ['frame.number']), []);
      const kinds = fields(path, 'tcp', ['eth.type', 'vlan.id', 'tcp.flags.syn', 'tcp.flags.ack', 'tcp.flags.fin', 'tcp.option_kind']);
      assert.ok(kinds.some(([eth]) => eth?.includes('0x86dd')), 'IPv6 frames');
      assert.ok(kinds.some(([, vlan]) => vlan !== ''), 'VLAN-tagged frames');
      assert.ok(kinds.some(([, , syn, ack]) => syn === '1' && ack === '1'), 'SYN-ACKs');
      assert.ok(kinds.some(([, , , , fin]) => fin === '1'), 'FINs');
      assert.ok(kinds.some(([, , , , , opts]) => opts?.split(',').includes('5')), 'SACK options');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('the same options give the same packets', () => {
  const a = [...syntheticTraffic({ frames: 300, seed: 9 })];
  const b = [...syntheticTraffic({ frames: 300, seed: 9 })];
  const c = [...syntheticTraffic({ frames: 300, seed: 10 })];
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});
