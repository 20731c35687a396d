/**
 * The `synack explain` command: text wrapped to the width in every language (Japanese by display
 * width), --json items with message ids, parameters and text, --conn, and one readable line with
 * the right exit code for bad flags and bad files.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { wrap } from '../../src/cli/explain.js';

const CLI = fileURLToPath(new URL('../../src/cli/explain.ts', import.meta.url));
const KB = fileURLToPath(new URL('../fixtures/kb172983.pcap', import.meta.url));

function explain(args: readonly string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const code = `import(${JSON.stringify(CLI)}).then((m) => m.main(${JSON.stringify(args)})).then((c) => { process.exitCode = c; }, (e) => { console.error(e.message); process.exitCode = e.code === 'ERR_SYNACK_USAGE' ? 64 : 1; })`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, LANG: 'C', ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Display columns (East Asian wide characters count two). */
function columns(s: string): number {
  let w = 0;
  for (const c of s) w += /[\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(c) ? 2 : 1;
  return w;
}

describe('synack explain (CLI)', () => {
  test('--json: one object per connection, items with frame, message id, params and text', () => {
    const r = explain([KB, '--json', '--lang', 'sv']);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { conn: number; lang: string; items: { frame: number | null; id: string; params: Record<string, unknown>; text: string }[] });
    assert.deepEqual(lines.map((l) => l.conn), [0, 1]);
    assert.equal(lines[0]?.lang, 'sv');
    const syn = lines[0]?.items.find((i) => i.id === 'hs.syn');
    assert.equal(syn?.frame, 1);
    assert.equal(syn?.params.isn, 8221822);
    assert.match(syn?.text ?? '', /^Ram 1: klienten 131\.107\.2\.214/u);
    assert.ok(lines[1]?.items.some((i) => i.id === 'conn.notContinuation'));
  });

  for (const [lang, width] of [['en', 60], ['de', 72], ['sv', 100], ['ja', 50]] as const) {
    test(`${lang}: text fits ${width} columns and names every frame`, () => {
      const r = explain([KB, '--lang', lang, '--width', String(width)]);
      assert.equal(r.status, 0, r.stderr);
      for (const line of r.stdout.split('\n')) {
        // A single word longer than the line (an IPv6 address, say) may stick out; none here does.
        assert.ok(columns(line) <= width, `${columns(line)} > ${width}: ${line}`);
      }
      const word = { en: 'Frame', de: 'Rahmen', sv: 'Ram', ja: 'フレーム' }[lang];
      for (const f of [1, 2, 3, 4, 5, 6, 7]) assert.match(r.stdout, new RegExp(`${word} ${f}:`, 'u'));
    });
  }

  test('--conn picks one connection; LANG picks the language when --lang is not given', () => {
    const r = explain([KB, '--conn', '1'], { LANG: 'de_DE.UTF-8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Verbindung 1: Client 192\.94\.222\.123 Port 2337/u);
    assert.doesNotMatch(r.stdout, /Verbindung 0/u);
    const none = explain([KB, '--conn', '9']);
    assert.equal(none.status, 1);
    assert.match(none.stdout, /no TCP connection with id 9/u);
  });

  test('bad flags are usage errors; a missing or damaged file is exit 2 with one line', () => {
    assert.equal(explain([KB, '--lang', 'fr']).status, 64);
    assert.equal(explain([KB, '--conn', '-1']).status, 64);
    assert.equal(explain([KB, '--width', '5']).status, 64);
    assert.equal(explain([]).status, 64);
    const missing = explain(['/nonexistent/x.pcap']);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /no such file/u);
    const dir = mkdtempSync(join(tmpdir(), 'synack-explain-cli-'));
    const cut = join(dir, 'cut.pcap');
    const bytes = readFileSync(KB);
    writeFileSync(cut, bytes.subarray(0, bytes.length - 20));
    const damaged = explain([cut]);
    assert.equal(damaged.status, 2);
    assert.match(damaged.stdout, /Connection 0/u, 'what came before the damage is explained');
    assert.equal(damaged.stderr.trim().split('\n').length, 1, damaged.stderr);
  });

  test('wrap: Japanese breaks between characters but never before closing punctuation', () => {
    const lines = wrap('あいうえおかきくけこ。さしすせそ', 10, '', '');
    for (const l of lines) {
      assert.ok(columns(l) <= 12);
      assert.doesNotMatch(l, /^[。、]/u);
    }
    assert.equal(lines.join(''), 'あいうえおかきくけこ。さしすせそ');
    assert.deepEqual(wrap('one two three', 7, '', '  '), ['one two', '  three']);
  });
});
