/**
 * Regenerates the committed kernel capture fixtures in test/fixtures/kernel/ (run as root):
 *
 *   node --import tsx test/kernel/make-fixtures.ts
 *
 * Each fixture is a real Linux capture (see README.md there) plus `<name>.tshark.tsv`, tshark's
 * field-by-field reading of it, so the agreement test can run where tshark is not installed.
 * Invariant: the .pcap and its .tsv are always written together, from the same run.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureDir, kernelUnsupported } from './netns.js';
import { makeKernelCapture, type KernelCaptureOptions, type Scenario } from './scenarios.js';
import { tsharkVersion, writeTsharkReference } from '../interop/tshark.js';

export const FIXTURE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'kernel');

export interface FixtureSpec {
  readonly name: string;
  readonly scenario: Scenario;
  readonly options: KernelCaptureOptions;
}

/** The committed fixtures and exactly how each was made. */
export const FIXTURES: readonly FixtureSpec[] = [
  // Handshake with MSS/SACK-permitted/timestamps/window scale, 10 full segments, FIN both ways.
  { name: 'ipv4-transfer', scenario: 'ipv4-bulk', options: { bytes: 14480, filter: 'tcp or arp' } },
  // Client sends 100 bytes and FIN first; the server keeps sending 8 KiB, then FIN.
  { name: 'ipv6-half-close', scenario: 'half-close',
    options: { family: 6, requestBytes: 100, bytes: 8192, filter: 'ip6 and (tcp or icmp6)' } },
];

async function main(): Promise<void> {
  const why = await kernelUnsupported(['ip', 'ss', 'tcpdump', 'ethtool', 'tshark']);
  if (why !== null) {
    process.stderr.write(`cannot make fixtures: ${why}\n`);
    process.exit(2);
  }
  mkdirSync(FIXTURE_DIR, { recursive: true });
  const tmp = captureDir('synack-fixtures-');
  try {
    for (const f of FIXTURES) {
      const tmpFile = join(tmp.dir, `${f.name}.pcap`);
      const meta = await makeKernelCapture(f.scenario, tmpFile, f.options);
      const out = join(FIXTURE_DIR, `${f.name}.pcap`);
      copyFileSync(tmpFile, out);
      await writeTsharkReference(out, join(FIXTURE_DIR, `${f.name}.tshark.tsv`));
      process.stdout.write(`${f.name}: ${meta.capture.packetsCaptured} frames, ${meta.family === 4 ? 'IPv4' : 'IPv6'} ` +
        `${meta.client.address}:${meta.client.port} -> ${meta.server.address}:${meta.server.port}, captured on ${meta.capturedOn}\n`);
    }
    process.stdout.write(`tshark: ${await tsharkVersion()}; kernel: ${(await import('node:os')).release()}\n`);
  } finally {
    tmp.cleanup();
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
