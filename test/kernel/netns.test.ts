/**
 * The namespace harness itself: the pair it builds, the capture it takes, the loss it injects, and
 * that teardown leaves nothing behind. Needs root, iproute2, tcpdump, ethtool, nftables.
 */
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  NetnsPair,
  captureDir,
  cleanupStaleNamespaces,
  findTool,
  kernelUnsupported,
  listNamespaces,
  run,
  withNetnsPair,
} from './netns.js';
import { readPcapRecords } from './pcap-records.js';

const NEEDS = ['ip', 'ss', 'tcpdump', 'ethtool', 'nft'] as const;
const tmp = captureDir('synack-netns-test-');
after(() => tmp.cleanup());

/** A one-line Node program run inside a namespace. */
const nodeEval = (code: string): string[] => [process.execPath, '-e', code];

describe('a namespace pair', () => {
  test('has both namespaces, the fixed addresses on the veth ends, and offloads off', async (t) => {
    const why = await kernelUnsupported([...NEEDS]);
    if (why !== null) return t.skip(why);
    await withNetnsPair(async (pair) => {
      const names = await listNamespaces();
      assert.ok(names.includes(pair.a.ns) && names.includes(pair.b.ns), `namespaces listed: ${names.join(' ')}`);
      for (const s of [pair.a, pair.b]) {
        const r = await run([findTool('ip') ?? 'ip', '-n', s.ns, '-j', 'addr', 'show', 'dev', s.ifname]);
        const [link] = JSON.parse(r.stdout) as {
          address: string;
          operstate: string;
          addr_info: { family: string; local: string; prefixlen: number; tentative?: boolean; dadfailed?: boolean }[];
        }[];
        assert.ok(link);
        assert.equal(link.address, s.mac);
        assert.equal(link.operstate, 'UP');
        const v4 = link.addr_info.find((x) => x.family === 'inet');
        const v6 = link.addr_info.find((x) => x.family === 'inet6' && x.local === s.ipv6);
        assert.equal(v4?.local, s.ipv4);
        assert.equal(v4?.prefixlen, 24);
        assert.ok(v6, `${s.ipv6} configured`);
        assert.notEqual(v6.tentative, true, 'nodad: usable at once, not tentative');

        // ethtool -k lists "feature: on|off [fixed]".
        const k = await pair.exec(s.side, [findTool('ethtool') ?? 'ethtool', '-k', s.ifname]);
        for (const feature of [
          'tcp-segmentation-offload',
          'generic-segmentation-offload',
          'generic-receive-offload',
          'tx-checksumming',
          'rx-checksumming',
        ]) {
          assert.match(k.stdout, new RegExp(`^${feature}: off`, 'm'), `${s.ifname} ${feature}`);
        }
      }
    });
  });

  test('destroy kills what runs in the namespaces and removes both', async (t) => {
    const why = await kernelUnsupported([...NEEDS]);
    if (why !== null) return t.skip(why);
    const pair = await NetnsPair.create();
    const sleeper = pair.spawn('a', nodeEval('setInterval(() => {}, 1000)'), 'sleeper');
    await pair.destroy();
    assert.equal(sleeper.exited, true, 'the process started in the namespace is gone');
    const names = await listNamespaces();
    assert.ok(!names.includes(pair.a.ns) && !names.includes(pair.b.ns), `left behind: ${names.join(' ')}`);
  });

  test('withNetnsPair tears the pair down when the body throws', async (t) => {
    const why = await kernelUnsupported([...NEEDS]);
    if (why !== null) return t.skip(why);
    let seen: string[] = [];
    await assert.rejects(
      withNetnsPair(async (pair) => {
        seen = [pair.a.ns, pair.b.ns];
        throw new Error('body failed');
      }),
      /body failed/,
    );
    const names = await listNamespaces();
    assert.equal(seen.length, 2);
    for (const ns of seen) assert.ok(!names.includes(ns), `${ns} removed`);
  });

  test('stale namespaces of a dead creator are removed, live ones kept', async (t) => {
    const why = await kernelUnsupported([...NEEDS]);
    if (why !== null) return t.skip(why);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const deadPid = Number(dead.stdout.toString());
    const ip = findTool('ip') ?? 'ip';
    const stale = `sk-k-${deadPid}-00dead-a`;
    const ours = `sk-k-${process.pid}-00a11e-a`;
    await run([ip, 'netns', 'add', stale]);
    await run([ip, 'netns', 'add', ours]);
    try {
      const removed = await cleanupStaleNamespaces();
      const names = await listNamespaces();
      assert.ok(removed.includes(stale) && !names.includes(stale), 'dead creator: removed');
      assert.ok(names.includes(ours), 'live creator: kept');
    } finally {
      await run([ip, 'netns', 'del', ours], { allowFailure: true });
      await run([ip, 'netns', 'del', stale], { allowFailure: true });
    }
  });
});

describe('a capture', () => {
  test('holds the first frame sent after startCapture resolves, and stop() accounts for every frame', async (t) => {
    const why = await kernelUnsupported([...NEEDS]);
    if (why !== null) return t.skip(why);
    const file = join(tmp.dir, 'first-frame.pcap');
    const stats = await withNetnsPair(async (pair) => {
      const cap = await pair.startCapture('a', file);
      // Nothing has talked on the link since it came up: the connect's ARP request is the first
      // frame our traffic causes. A capture that started late would miss it.
      await pair.exec('a', nodeEval(
        `require('net').connect(9, '${pair.b.ipv4}').on('error', (e) => { if (e.code !== 'ECONNREFUSED') process.exit(3) })`));
      return cap.stop();
    });
    const { linkType, records, truncatedTail } = readPcapRecords(file);
    assert.equal(linkType, 1, 'Ethernet');
    assert.equal(truncatedTail, false, 'no partial record at the end');
    assert.equal(records.length, stats.packetsCaptured, 'every frame tcpdump counted is in the file');
    assert.equal(stats.packetsDroppedByKernel, 0);
    const etherType = (d: Uint8Array): number => ((d[12] ?? 0) << 8) | (d[13] ?? 0);
    const arpRequest = records.findIndex((r) => etherType(r.data) === 0x0806 && r.data[21] === 1);
    const firstTcp = records.findIndex((r) => etherType(r.data) === 0x0800 && r.data[23] === 6);
    assert.ok(arpRequest >= 0, 'the ARP request that precedes the SYN was captured');
    assert.ok(firstTcp > arpRequest, 'then the SYN');
    // SYN (flags byte 47 = 0x02) answered by RST|ACK (0x14): RFC 9293 3.10.7.1, no listener.
    const tcpFlags = records.filter((r) => etherType(r.data) === 0x0800 && r.data[23] === 6).map((r) => r.data[47]);
    assert.deepEqual(tcpFlags, [0x02, 0x14]);
  });
});

describe('injected loss', () => {
  // 0 % and 100 % are exact, so these cannot pass by chance. SYNs are exempt by design.
  for (const percent of [0, 100]) {
    test(`at ${percent} % drops ${percent === 0 ? 'no' : 'every'} non-SYN TCP segment arriving in the namespace`, async (t) => {
      const why = await kernelUnsupported([...NEEDS]);
      if (why !== null) return t.skip(why);
      const counters = await withNetnsPair(async (pair) => {
        const loss = await pair.addLoss('b', percent);
        const server = pair.spawn('b', nodeEval(
          `require('net').createServer((s) => s.on('error', () => {})).listen(7, '${pair.b.ipv4}', () => console.log('{"listening":true}'))`),
          'server');
        await server.waitForMessage((m) => (m !== null ? true : undefined), 5000, 'listening line');
        // The SYN passes, the SYN-ACK comes back (no loss on side a), so connect succeeds; the
        // ACK and the 3 data segments then reach the rule.
        await pair.exec('a', nodeEval(
          `const s = require('net').connect(7, '${pair.b.ipv4}', () => { s.setNoDelay(true); ` +
          `s.write('x'); setTimeout(() => s.write('y'), 20); setTimeout(() => s.write('z'), 40); ` +
          `setTimeout(() => s.destroy(), 150) }); s.on('error', () => {})`));
        return loss.counters();
      });
      assert.ok(counters.seen >= 4, `segments seen by the rule: ${counters.seen}`);
      assert.equal(counters.dropped, percent === 0 ? 0 : counters.seen);
    });
  }
});
