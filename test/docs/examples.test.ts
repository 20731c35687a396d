/**
 * The README's examples run against the built package (dist/, made by `npm install`/`npm run build`)
 * and print what the seeds and the stack say they should.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const built = existsSync(`${root}dist/src/node.js`) && existsSync(`${root}dist/src/index.js`);

function run(file: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [file], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('examples/echo.mjs echoes its line through two userspace stacks over a lossy link', (t) => {
  if (!built) return t.skip('the package is not built (npm run build)');
  const r = run('examples/echo.mjs');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'hello over a userspace TCP (27 bytes back from 10.0.0.2:7)');
});

test('`npx synack` runs the built CLI in a checkout (the README\'s set-up command)', (t) => {
  if (!built) return t.skip('the package is not built (npm run build)');
  const r = spawnSync('npx', ['--no-install', 'synack', '--help'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^usage: synack <command>/m);
  assert.match(r.stdout, /^ {2}demo /m);
});

test('examples/decode.mjs prints the seed capture with frame 1 at seq 8221822 and good checksums', (t) => {
  if (!built) return t.skip('the package is not built (npm run build)');
  const r = run('examples/decode.mjs');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 14, 'seven frames, two lines each');
  assert.match(lines[0]!, /131\.107\.2\.214:1037 -> 131\.107\.2\.211:139 TCP \.\.\.\.S\. \[SYN\] seq=8221822/);
  assert.equal(lines.filter((l) => l.includes('checksum good')).length, 7);
});
