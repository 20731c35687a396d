/**
 * synack's decoder agrees with tshark, field by field, on captures made by the real Linux kernel.
 *
 * Two sources of captures:
 * - the committed fixtures in test/fixtures/kernel/ (no root needed; the reference is live tshark
 *   when installed, else the committed `.tshark.tsv` that tshark wrote for the same bytes);
 * - fresh captures of every kernel scenario (root, iproute2, tcpdump, ethtool, nftables, tshark).
 * The decoder runs as users run it: `node --import tsx src/cli/main.ts decode --json FILE`.
 * The field mapping and the definitional differences are documented in compare.ts.
 */
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { captureDir, kernelUnsupported } from '../kernel/netns.js';
import { makeKernelCapture, type KernelCaptureOptions, type Scenario } from '../kernel/scenarios.js';
import { FIXTURE_DIR } from '../kernel/make-fixtures.js';
import { compareCapture, formatMismatches } from './compare.js';
import { decoderUnavailable, synackDecodeJson } from './synack-decode.js';
import { readTsharkFields, readTsharkReference, tsharkFieldsText, tsharkPath, tsharkVersion, parseTsharkFields, type TsharkFrame } from './tshark.js';

async function assertAgreement(file: string, reference: readonly TsharkFrame[]): Promise<void> {
  const synack = await synackDecodeJson(file);
  const { mismatches, frames } = compareCapture(reference, synack);
  assert.ok(frames > 0, 'the reference has frames');
  assert.equal(mismatches.length, 0, `${file}: ${frames} frames\n${formatMismatches(mismatches)}`);
}

const fixtures = readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.pcap')).sort();

describe('agreement on the committed kernel fixtures', () => {
  test('there are fixtures to compare', () => {
    assert.ok(fixtures.length >= 2, `fixtures in ${FIXTURE_DIR}: ${fixtures.join(', ')}`);
  });

  for (const name of fixtures) {
    const pcap = join(FIXTURE_DIR, name);
    const tsv = pcap.replace(/\.pcap$/, '.tshark.tsv');

    test(`synack decode agrees with tshark on every field of every frame: ${name}`, async (t) => {
      const why = decoderUnavailable();
      if (why !== null) return t.skip(why);
      const reference = tsharkPath() !== null ? await readTsharkFields(pcap) : readTsharkReference(tsv);
      await assertAgreement(pcap, reference);
    });

    test(`the committed tshark reference is what tshark says: ${name}`, async (t) => {
      if (tsharkPath() === null) return t.skip('needs tshark: not installed (apt-get install tshark)');
      const made = /made by (.*)$/m.exec(readFileSync(tsv, 'utf8'))?.[1];
      const here = await tsharkVersion();
      if (made !== here) return t.skip(`reference made by ${made ?? '?'}, this machine has ${here}`);
      assert.deepEqual(parseTsharkFields(await tsharkFieldsText(pcap)), readTsharkReference(tsv));
    });
  }
});

const LIVE: readonly { key: string; scenario: Scenario; opts?: KernelCaptureOptions }[] = [
  { key: 'ipv4-bulk', scenario: 'ipv4-bulk' },
  { key: 'ipv6-bulk', scenario: 'ipv6-bulk' },
  { key: 'refused', scenario: 'refused' },
  { key: 'refused-ipv6', scenario: 'refused', opts: { family: 6 } },
  { key: 'abort', scenario: 'abort' },
  { key: 'half-close', scenario: 'half-close' },
  { key: 'half-close-ipv6', scenario: 'half-close', opts: { family: 6 } },
  { key: 'loss', scenario: 'loss' },
  { key: 'udp-fragments', scenario: 'udp-fragments' },
  { key: 'udp-fragments-ipv6', scenario: 'udp-fragments', opts: { family: 6 } },
];

describe('agreement on fresh kernel captures', () => {
  const tmp = captureDir('synack-agreement-');
  after(() => tmp.cleanup());

  for (const { key, scenario, opts } of LIVE) {
    test(`synack decode agrees with tshark on every field of every frame: ${key}`, async (t) => {
      const why = (await kernelUnsupported(['ip', 'ss', 'tcpdump', 'ethtool', 'nft', 'tshark'])) ?? decoderUnavailable();
      if (why !== null) return t.skip(why);
      const meta = await makeKernelCapture(scenario, join(tmp.dir, `${key}.pcap`), opts ?? {});
      const reference = await readTsharkFields(meta.file);
      assert.equal(reference.length, meta.capture.packetsCaptured);
      await assertAgreement(meta.file, reference);
    });
  }
});
