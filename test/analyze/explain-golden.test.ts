/**
 * Golden explanations of the seed vector (issue 6: "golden tests of explain for the seed vector
 * in all four languages, reviewed by reading them"). The files under fixtures/ were read in full
 * against the seed articles (seeds/000-003) before they were committed; this test pins that
 * reviewed wording, so that any change to the text shows up as a diff to read again. The facts in
 * them are asserted independently in explain.test.ts (numbers against the seed article and tshark).
 *
 * To accept a reviewed change: SYNACK_UPDATE_GOLDEN=1 node scripts/run-tests.mjs explain-golden
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { explainRecords } from '../../src/analyze/explain.js';
import { LANGS } from '../../src/analyze/i18n/index.js';
import { decodeCapture } from '../../src/capture/decoder.js';
import { textOf } from '../../src/cli/explain.js';

const KB = fileURLToPath(new URL('../fixtures/kb172983.pcap', import.meta.url));

for (const lang of LANGS) {
  test(`kb172983 explained in ${lang} reads as reviewed`, () => {
    const golden = fileURLToPath(new URL(`./fixtures/explain-kb172983.${lang}.txt`, import.meta.url));
    const { records } = decodeCapture(new Uint8Array(readFileSync(KB)));
    const text = explainRecords(records, { lang })
      .map((e) => textOf(e, 100).join('\n'))
      .join('\n\n') + '\n';
    if (process.env.SYNACK_UPDATE_GOLDEN === '1') writeFileSync(golden, text);
    assert.equal(text, readFileSync(golden, 'utf8'));
  });
}
