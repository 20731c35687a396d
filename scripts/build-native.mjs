#!/usr/bin/env node
// Builds the native TUN addon (native/ -> native/build/Release/synack_tun.node) with node-gyp.
// Run by `npm install` and `npm run build:native`. It must never fail an install: synack works
// without the addon (everything but TUN devices), so on any failure it prints one warning line and
// exits 0. `--strict` makes a failure exit 1 (for CI and for `npm run build:native`); `--verbose`
// shows node-gyp's output.
//
// node-gyp is found, in order: $npm_config_node_gyp (npm sets it for install scripts), a local
// node_modules/node-gyp, the copy bundled with npm next to this node. Node's headers come from
// $npm_config_nodedir when npm passes it, else from this node's own prefix (include/node), so no
// download is needed.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dirFlag = process.argv.indexOf('--directory');
// --directory DIR builds a copy of native/ elsewhere (the tests do, to leave native/build alone).
const nativeDir = dirFlag > 0 && process.argv[dirFlag + 1] !== undefined ? resolve(process.argv[dirFlag + 1]) : join(root, 'native');
const strict = process.argv.includes('--strict');
const verbose = process.argv.includes('--verbose');

function giveUp(reason) {
  console.warn(`synack: the native TUN addon was not built (${reason}); everything else works, TUN devices will not`);
  process.exit(strict ? 1 : 0);
}

function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  try {
    candidates.push(createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed locally
  }
  const prefix = resolve(dirname(process.execPath), '..');
  candidates.push(join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((c) => existsSync(c));
}

if (process.platform !== 'linux') giveUp(`TUN devices need Linux, this is ${process.platform}`);
if (!existsSync(join(nativeDir, 'binding.gyp'))) giveUp(`${join(nativeDir, 'binding.gyp')} is missing`);
const gyp = findNodeGyp();
if (gyp === undefined) giveUp('node-gyp not found: install it with npm i -g node-gyp');

const args = [gyp, 'rebuild', '--directory', nativeDir];
if (!process.env.npm_config_nodedir) {
  const prefix = resolve(dirname(process.execPath), '..');
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
}
const r = spawnSync(process.execPath, args, { cwd: nativeDir, encoding: 'utf8', stdio: verbose ? 'inherit' : 'pipe' });
if (r.error !== undefined) giveUp(`node-gyp did not run: ${r.error.message}`);
if (r.status !== 0) {
  const out = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
  const line = out.split('\n').find((l) => /error/i.test(l) && !/^gyp ERR! (stack|System|command|cwd|node -v|node-gyp -v|not ok)/.test(l));
  giveUp(`node-gyp exited ${r.status}${line ? `: ${line.trim()}` : ''}; run node scripts/build-native.mjs --verbose for details`);
}
const built = join(nativeDir, 'build', 'Release', 'synack_tun.node');
if (!existsSync(built)) giveUp(`node-gyp succeeded but ${built} is missing`);
if (verbose || strict) console.log(`synack: built ${built}`);
