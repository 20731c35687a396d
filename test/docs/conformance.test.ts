/**
 * Checks docs/conformance.md against RFC 9293 Appendix B and the test sources.
 *
 * Invariants kept by this test:
 *  - every requirement id of Appendix B (MUST-n, SHLD-n, MAY-n, REC-n) is the id of exactly one
 *    table row, and no row has an id Appendix B does not know;
 *  - every MUST row names at least one test, unless its synack column says NOT MET (the document
 *    then says why, and the lead knows);
 *  - every backticked name in a test column is, verbatim, the title of a `test(...)` or `it(...)`
 *    call in some test/**\/*.test.ts file (only literal titles count: a template literal with `${...}`
 *    is not a name anyone can cite), and in the file named after it when one is given;
 *    so renaming a cited test makes this test fail.
 *
 * The requirement ids come from /work/shared/reference/rfc9293.txt (the repo's ../shared) when it
 * is there; the committed list below is the fallback, and is checked against the RFC when both are.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOC = join(ROOT, 'docs', 'conformance.md');
const RFC = join(ROOT, '..', 'shared', 'reference', 'rfc9293.txt');

/** RFC 9293 Appendix B, Table 8, transcribed (119 distinct ids). */
const APPENDIX_B_FALLBACK: readonly string[] = [
  ...range('MUST', 1, 69),
  ...range('SHLD', 1, 31),
  ...range('MAY', 1, 18),
  'REC-1',
];

function range(kind: string, from: number, to: number): string[] {
  const out: string[] = [];
  for (let i = from; i <= to; i++) out.push(`${kind}-${i}`);
  return out;
}

const ID = /^(MUST|SHLD|MAY|REC)-(\d+)$/;

function byId(a: string, b: string): number {
  const order = ['MUST', 'SHLD', 'MAY', 'REC'];
  const ma = ID.exec(a);
  const mb = ID.exec(b);
  if (!ma || !mb) return a < b ? -1 : a > b ? 1 : 0;
  return order.indexOf(ma[1] ?? '') - order.indexOf(mb[1] ?? '') || Number(ma[2]) - Number(mb[2]);
}

/** The distinct requirement ids in the Appendix B table of the RFC text. */
export function appendixBIds(rfcText: string): string[] {
  const lines = rfcText.split('\n');
  // The heading at column 0 (the table of contents has the same words, indented).
  const start = lines.findIndex((l) => l.startsWith('Appendix B.') && l.includes('Requirement Summary'));
  assert.ok(start >= 0, 'Appendix B heading not found in the RFC text');
  const end = lines.findIndex((l, i) => i > start && l.includes('Table 8: TCP Requirements Summary'));
  assert.ok(end > start, 'the end of Table 8 not found in the RFC text');
  const ids = new Set<string>();
  for (const l of lines.slice(start, end)) {
    for (const m of l.matchAll(/\|\s*((?:MUST|SHLD|MAY|REC)-\d+)\s*\|/g)) ids.add(m[1] as string);
  }
  return [...ids].sort(byId);
}

/** Split one Markdown table row into cells; a `|` inside backticks or escaped as `\|` does not split. */
export function cells(row: string): string[] {
  const t = row.trim();
  if (!t.startsWith('|')) return [];
  const out: string[] = [];
  let cur = '';
  let inCode = false;
  for (let i = 1; i < t.length; i++) {
    const ch = t[i] as string;
    if (ch === '\\' && t[i + 1] === '|') {
      cur += '|';
      i++;
    } else if (ch === '`') {
      inCode = !inCode;
      cur += ch;
    } else if (ch === '|' && !inCode) {
      out.push(cur.trim());
      cur = '';
    } else {
      cur += ch;
    }
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out;
}

export interface Citation {
  readonly name: string;
  /** The file given after the name as `(test/...)`, if any. */
  readonly file: string | undefined;
}

/** Backticked test names in a test cell, each optionally followed by `(test/path.test.ts)`. */
export function citations(cell: string): Citation[] {
  const out: Citation[] = [];
  for (const m of cell.matchAll(/`([^`]+)`(?:\s*\((test\/[^)\s]+\.test\.ts)\))?/g)) {
    out.push({ name: m[1] as string, file: m[2] });
  }
  return out;
}

export interface Row {
  readonly id: string;
  readonly line: number;
  readonly cells: readonly string[];
}

/** Table rows whose first cell is a requirement id. */
export function rows(doc: string): Row[] {
  const out: Row[] = [];
  doc.split('\n').forEach((l, i) => {
    const c = cells(l);
    const id = c[0]?.replace(/\*/g, '') ?? '';
    if (ID.test(id)) out.push({ id, line: i + 1, cells: c });
  });
  return out;
}

/**
 * Literal titles of `test(...)` and `it(...)` calls in TypeScript source: single-, double- or
 * backquoted, with escapes resolved; template literals with a substitution are skipped.
 */
export function testTitles(source: string): string[] {
  const out: string[] = [];
  const re = /(?<![\w$.])(?:t\.)?(?:test|it)\s*\(\s*(['"`])/g;
  // `t.test(` (subtests) is matched through the optional prefix; `x.test(` of another object is not.
  for (let m = re.exec(source); m !== null; m = re.exec(source)) {
    const quote = m[1] as string;
    let i = m.index + m[0].length;
    let title = '';
    let ok = false;
    while (i < source.length) {
      const ch = source[i] as string;
      if (ch === '\\') {
        const next = source[i + 1] ?? '';
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0' };
        if (next === 'u' && source[i + 2] === '{') {
          const close = source.indexOf('}', i);
          title += String.fromCodePoint(parseInt(source.slice(i + 3, close), 16));
          i = close + 1;
        } else if (next === 'u') {
          title += String.fromCharCode(parseInt(source.slice(i + 2, i + 6), 16));
          i += 6;
        } else if (next === 'x') {
          title += String.fromCharCode(parseInt(source.slice(i + 2, i + 4), 16));
          i += 4;
        } else {
          title += simple[next] ?? next;
          i += 2;
        }
        continue;
      }
      if (quote === '`' && ch === '$' && source[i + 1] === '{') break; // not a literal title
      if (ch === quote) {
        ok = true;
        break;
      }
      if (ch === '\n' && quote !== '`') break;
      title += ch;
      i++;
    }
    if (ok) out.push(title);
    re.lastIndex = i + 1;
  }
  return out;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** Test title -> files (repo-relative, `/`-separated) that define it. */
function titleIndex(): Map<string, Set<string>> {
  const index = new Map<string, Set<string>>();
  for (const f of walk(join(ROOT, 'test'))) {
    const rel = relative(ROOT, f).split(sep).join('/');
    for (const t of testTitles(readFileSync(f, 'utf8'))) {
      const set = index.get(t) ?? new Set<string>();
      set.add(rel);
      index.set(t, set);
    }
  }
  return index;
}

describe('the checker itself', () => {
  test('the title scanner reads quoted, escaped and plain template titles and skips interpolated ones', () => {
    const src = [
      "test('plain (MUST-1)', () => {});",
      'test("Karn\'s algorithm", () => {});',
      "  it('the capture\\'s 8192', () => {});",
      'test(`a template`, () => {});',
      'test(`${n} bytes`, () => {});',
      "test.skip('skipped', () => {});",
      "latest('not a test', 1);",
      "await t.test('a subtest', () => {});",
      "other.test('a method of something else');",
    ].join('\n');
    assert.deepEqual(testTitles(src), ['plain (MUST-1)', "Karn's algorithm", "the capture's 8192", 'a template', 'a subtest']);
  });

  test('table cells split on | outside backticks only; citations carry an optional file', () => {
    assert.deepEqual(cells('| MUST-1 | a \\| b | `x | y` (test/a/b.test.ts) |'), ['MUST-1', 'a | b', '`x | y` (test/a/b.test.ts)']);
    assert.deepEqual(citations('`one` (test/tcp/data.test.ts); `two`'), [
      { name: 'one', file: 'test/tcp/data.test.ts' },
      { name: 'two', file: undefined },
    ]);
  });

  test('the Appendix B parser finds ids in table rows only, from the heading to Table 8', () => {
    const text = [
      '   Appendix B.  TCP Requirement Summary ..... 90',
      'Body text (MUST-99) is not in the table.',
      'Appendix B.  TCP Requirement Summary',
      '    | Feature         | MUST-2  |  X   |',
      '    | Other           | SHLD-7  |      |',
      '    | Again           | MUST-2  |  X   |',
      '                     Table 8: TCP Requirements Summary',
      '    | After           | MAY-9   |      |',
    ].join('\n');
    assert.deepEqual(appendixBIds(text), ['MUST-2', 'SHLD-7']);
  });
});

describe('docs/conformance.md', () => {
  const doc = readFileSync(DOC, 'utf8');
  const table = rows(doc);

  test('the fallback id list is RFC 9293 Appendix B (when the RFC text is beside the repo)', { skip: existsSync(RFC) ? false : `${RFC} is absent` }, () => {
    assert.deepEqual(appendixBIds(readFileSync(RFC, 'utf8')), [...APPENDIX_B_FALLBACK].sort(byId));
  });

  test('every Appendix B requirement id has exactly one row, and no row has another id', () => {
    const ids = existsSync(RFC) ? appendixBIds(readFileSync(RFC, 'utf8')) : [...APPENDIX_B_FALLBACK];
    const seen = new Map<string, number[]>();
    for (const r of table) seen.set(r.id, [...(seen.get(r.id) ?? []), r.line]);
    const missing = ids.filter((id) => !seen.has(id));
    const twice = [...seen].filter(([, lines]) => lines.length > 1).map(([id, lines]) => `${id} (lines ${lines.join(', ')})`);
    const unknown = [...seen.keys()].filter((id) => !ids.includes(id));
    assert.deepEqual({ missing, twice, unknown }, { missing: [], twice: [], unknown: [] });
  });

  test('every row has four columns: id, requirement, synack, test', () => {
    const bad = table.filter((r) => r.cells.length !== 4 || r.cells.slice(1, 3).some((c) => c === ''));
    assert.deepEqual(bad.map((r) => `line ${r.line}: ${r.cells.length} cells`), []);
  });

  test('every MUST row names at least one test, unless it says NOT MET', () => {
    const bare = table.filter((r) => r.id.startsWith('MUST-') && citations(r.cells[3] ?? '').length === 0 && !(r.cells[2] ?? '').includes('NOT MET'));
    assert.deepEqual(bare.map((r) => `${r.id} (line ${r.line})`), []);
  });

  test('every cited test exists verbatim as a test title, in the file named beside it', () => {
    const index = titleIndex();
    const problems: string[] = [];
    let cited = 0;
    for (const r of table) {
      for (const c of citations(r.cells[3] ?? '')) {
        cited++;
        const files = index.get(c.name);
        if (files === undefined) problems.push(`${r.id} (line ${r.line}): no test is titled \`${c.name}\``);
        else if (c.file !== undefined && !files.has(c.file)) problems.push(`${r.id} (line ${r.line}): \`${c.name}\` is in ${[...files].join(', ')}, not ${c.file}`);
      }
    }
    assert.deepEqual(problems, []);
    assert.ok(cited >= table.filter((r) => r.id.startsWith('MUST-')).length, `only ${cited} citations`);
  });
});
