/**
 * Records tshark's selection for every capture and filter of filter-cases.ts into
 * fixtures/filter.tshark.json, the truth filter.test.ts compares against.
 * Run: node --import tsx test/analyze/filter-fixtures.ts (TShark 4.0.17 made the committed file).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CAPTURES, FILTERS, tsharkSelect } from './filter-cases.js';

const captures: Record<string, Record<string, number[]>> = {};
for (const [name, path] of Object.entries(CAPTURES)) {
  const answers: Record<string, number[]> = {};
  for (const f of FILTERS) answers[f] = tsharkSelect(path, f);
  captures[name] = answers;
}
const dir = fileURLToPath(new URL('fixtures/', import.meta.url));
mkdirSync(dir, { recursive: true });
writeFileSync(dir + 'filter.tshark.json', JSON.stringify({ filters: FILTERS, captures }, null, 1) + '\n');
