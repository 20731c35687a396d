/**
 * `synack conns` as a user runs it (a child process): the table and JSON Lines for the seed
 * vector, --frames, a damaged file (connections before the damage, then one error line, exit 2),
 * a missing file, usage errors, and the progress bar on stderr.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConnectionRecord } from '../../src/analyze/conns.js';
import { craftPcap, handshake } from './conns-craft.js';

const CLI = fileURLToPath(new URL('../../src/cli/conns.ts', import.meta.url));
const SEED = fileURLToPath(new URL('../fixtures/kb172983.pcap', import.meta.url));

function conns(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const script = `import { main } from ${JSON.stringify(CLI)}; main(${JSON.stringify(args)}).then((c) => { process.exitCode = c; }, (e) => { process.stderr.write('synack: ' + e.message + '\\n'); process.exitCode = e.code === 'ERR_SYNACK_USAGE' ? 64 : 1; });`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('synack conns', () => {
  test('table: one line per connection of the seed vector, with a header', () => {
    const r = conns([SEED]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0] ?? '', /^\s+id client\s+server\s+state\s+history/);
    assert.match(lines[1] ?? '', /^\s+0 131\.107\.2\.214:1037\s+131\.107\.2\.211:139\s+S1\s+ShA\s/);
    assert.match(lines[1] ?? '', /708\.500ms\s+708\.500ms open/);
    assert.match(lines[2] ?? '', /^\s+1 192\.94\.222\.123:2337\s+192\.94\.222\.87:1352\s+SF\s+FafA\s.*client FIN/);
  });

  test('--json: one parseable object per line; --frames adds the frames', () => {
    const r = conns(['--json', SEED]);
    assert.equal(r.status, 0, r.stderr);
    const recs = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as ConnectionRecord);
    assert.deepEqual(recs.map((c) => [c.id, c.state, c.history, c.frames]), [[0, 'S1', 'ShA', undefined], [1, 'SF', 'FafA', undefined]]);
    const f = conns(['--json', '--frames', SEED]);
    const withFrames = f.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as ConnectionRecord);
    assert.deepEqual(withFrames.map((c) => c.frames?.map((x) => x.frame)), [[1, 2, 3], [4, 5, 6, 7]]);
    assert.deepEqual(withFrames[1]?.frames?.map((x) => x.from), ['client', 'server', 'server', 'client']);
  });

  test('a damaged file: the connections before the damage, then one error line, exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'synack-conns-cli-'));
    const good = craftPcap(handshake(1000, 5000));
    const bad = new Uint8Array(good.length + 20);
    bad.set(good);
    // A record header claiming 100000 bytes that are not there.
    new DataView(bad.buffer).setUint32(good.length + 8, 100_000, true);
    new DataView(bad.buffer).setUint32(good.length + 12, 100_000, true);
    const file = join(dir, 'cut.pcap');
    writeFileSync(file, bad);
    const r = conns([file]);
    assert.equal(r.status, 2);
    assert.match(r.stdout, /ShA/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /^synack: .*cut\.pcap: /);
  });

  test('a missing file, bad flags and --frames without --json are one-line errors', () => {
    const missing = conns(['/nonexistent/x.pcap']);
    assert.deepEqual([missing.status, missing.stderr.trim()], [2, 'synack: /nonexistent/x.pcap: no such file']);
    assert.equal(conns(['--bogus', SEED]).status, 64);
    assert.equal(conns([]).status, 64);
    assert.equal(conns(['--frames', SEED]).status, 64);
    assert.equal(conns(['--max-connections', '0', SEED]).status, 64);
  });

  test('--progress draws a bar on stderr and clears it', () => {
    const big = mkdtempSync(join(tmpdir(), 'synack-conns-cli-'));
    const file = join(big, 'seed.pcap');
    writeFileSync(file, readFileSync(SEED));
    const r = conns(['--progress', file]);
    assert.equal(r.status, 0);
    assert.match(r.stderr, /^\r\[#+\.*\] +\d+% .* 2 connections\r\x1b\[K$/);
  });
});
