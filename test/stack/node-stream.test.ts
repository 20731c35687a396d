/**
 * Stream tests through the Node-style API (src/stack/node.ts: real stream.Duplex sockets) over the
 * in-memory link on virtual time: bytes in == bytes out, checked with SHA-256 from node:crypto
 * (independent of the code under test), for 0 B, 1 B, 1 MiB and 64 MiB, with and without a
 * half-close (the server answering after the client's FIN), and with seeded loss, reordering and
 * duplication on the link. 64 MiB runs only without faults, to keep CI time sane.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import { SeededRandom } from '../../src/link/rng.js';
import { NodeNet, type NodeSocket } from '../../src/stack/node.js';
import { Simulation, type SimulationOptions } from '../../src/stack/sim.js';

const CHUNK = 64 * 1024;

/** Write `n` deterministic pseudo-random bytes with backpressure, hash them, then end(). */
async function writeAll(sock: NodeSocket, seed: string, n: number, hash: Hash): Promise<void> {
  const rng = new SeededRandom(seed);
  let left = n;
  while (left > 0) {
    const k = Math.min(CHUNK, left);
    const b = Buffer.from(rng.fill(new Uint8Array(k)).buffer);
    hash.update(b);
    left -= k;
    if (!sock.write(b)) await once(sock, 'drain');
  }
  sock.end();
}

interface Outcome {
  readonly clientSent: string;
  readonly serverGot: string;
  readonly serverGotBytes: number;
  readonly serverSent?: string;
  readonly clientGot?: string;
  readonly clientGotBytes: number;
  readonly errors: readonly Error[];
  readonly events: readonly string[];
  readonly retransmissions: number;
}

async function transfer(o: { bytes: number; answer?: number; seed?: number; link?: SimulationOptions['link'] }): Promise<Outcome> {
  const halfClose = o.answer !== undefined;
  const sim = new Simulation({ seed: o.seed ?? 1, link: { delay: 1, ...(o.link ?? {}) } });
  const netA = new NodeNet(sim.a);
  const netB = new NodeNet(sim.b);
  const errors: Error[] = [];
  const events: string[] = [];
  const serverHash = createHash('sha256');
  const serverSentHash = createHash('sha256');
  let serverGotBytes = 0;
  let serverClosed = false;
  let clientClosed = false;
  let serverSent: string | undefined;
  let retransmissions = 0;
  const server = netB.createServer({ allowHalfOpen: halfClose }, (s) => {
    s.on('data', (d: Buffer) => {
      serverHash.update(d);
      serverGotBytes += d.length;
    });
    s.on('end', () => {
      events.push('server:end');
      // The client has half-closed; the server's direction is still open: it answers now.
      if (halfClose) void writeAll(s, 'answer', o.answer ?? 0, serverSentHash).then(() => (serverSent = serverSentHash.digest('hex')));
    });
    s.on('error', (e) => errors.push(e));
    s.on('close', (hadError: boolean) => {
      events.push(`server:close:${hadError}`);
      retransmissions += s.core.tcpCounters?.retransmissions ?? 0;
      serverClosed = true;
    });
  });
  server.listen(80);
  const clientHash = createHash('sha256');
  const clientGotHash = createHash('sha256');
  let clientGotBytes = 0;
  const c = netA.connect({ host: '10.0.0.2', port: 80, allowHalfOpen: halfClose });
  c.on('connect', () => events.push('client:connect'));
  c.on('ready', () => events.push('client:ready'));
  c.on('data', (d: Buffer) => {
    clientGotHash.update(d);
    clientGotBytes += d.length;
  });
  c.on('end', () => events.push('client:end'));
  c.on('finish', () => events.push('client:finish'));
  c.on('error', (e) => errors.push(e));
  c.on('close', (hadError: boolean) => {
    events.push(`client:close:${hadError}`);
    retransmissions += c.core.tcpCounters?.retransmissions ?? 0;
    clientClosed = true;
  });
  let clientSent = '';
  void once(c, 'connect').then(() => writeAll(c, 'request', o.bytes, clientHash).then(() => (clientSent = clientHash.digest('hex'))));
  const ok = await sim.runUntilAsync(() => clientClosed && serverClosed, { until: 3_600_000 });
  assert.ok(ok, `transfer did not finish by virtual time ${sim.now()}: ${events.join(', ')}; errors ${errors.map((e) => e.message).join('; ')}`);
  sim.close();
  return {
    clientSent,
    serverGot: serverHash.digest('hex'),
    serverGotBytes,
    ...(serverSent !== undefined ? { serverSent } : {}),
    ...(halfClose ? { clientGot: clientGotHash.digest('hex') } : {}),
    clientGotBytes,
    errors,
    events,
    retransmissions,
  };
}

function check(r: Outcome, bytes: number, answer?: number): void {
  assert.deepEqual(r.errors, []);
  assert.equal(r.serverGotBytes, bytes);
  assert.equal(r.serverGot, r.clientSent, 'SHA-256 of what the server read = of what the client wrote');
  if (answer !== undefined) {
    assert.equal(r.clientGotBytes, answer);
    assert.equal(r.clientGot, r.serverSent, 'SHA-256 of what the client read after its half-close = of what the server wrote');
  } else {
    assert.equal(r.clientGotBytes, 0);
  }
  assert.ok(r.events.includes('client:close:false') && r.events.includes('server:close:false'), r.events.join(', '));
}

const MiB = 1024 * 1024;

describe('Node-style sockets: bytes in == bytes out (SHA-256), no faults', () => {
  for (const bytes of [0, 1, MiB]) {
    test(`${bytes} B, client ends, server (allowHalfOpen false) ends in turn`, async () => {
      check(await transfer({ bytes }), bytes);
    });
    test(`${bytes} B, then the server answers ${bytes} B after the client's half-close`, async () => {
      check(await transfer({ bytes, answer: bytes }), bytes, bytes);
    });
  }
  test('64 MiB, client ends, server ends in turn', async () => {
    const r = await transfer({ bytes: 64 * MiB });
    check(r, 64 * MiB);
    assert.equal(r.retransmissions, 0);
  });
  test('64 MiB after a half-close: 1 B request, 64 MiB answer', async () => {
    check(await transfer({ bytes: 1, answer: 64 * MiB }), 1, 64 * MiB);
  });
  test('events come in net.Socket order: connect, ready, ..., end, close(false)', async () => {
    const r = await transfer({ bytes: 10 });
    const client = r.events.filter((e) => e.startsWith('client:'));
    assert.deepEqual(client.slice(0, 2), ['client:connect', 'client:ready']);
    assert.equal(client[client.length - 1], 'client:close:false');
    assert.ok(client.indexOf('client:end') < client.indexOf('client:close:false'));
  });
});

describe('Node-style sockets: bytes in == bytes out over a faulty link (seeded)', () => {
  const faults = [
    { name: 'loss 5%', link: { loss: 0.05 } },
    { name: 'reordering 10%', link: { reorder: 0.1 } },
    { name: 'loss 3%, reordering 5%, duplication 3%, corruption 1%', link: { loss: 0.03, reorder: 0.05, duplicate: 0.03, corrupt: 0.01 } },
  ];
  for (const [i, f] of faults.entries()) {
    test(`1 MiB with ${f.name}, with a 1 MiB answer after the half-close`, async () => {
      const r = await transfer({ bytes: MiB, answer: MiB, seed: 11 + i, link: f.link });
      check(r, MiB, MiB);
      if (f.link.loss !== undefined) assert.ok(r.retransmissions > 0, 'losses were repaired by retransmissions');
    });
    test(`1 B with ${f.name}, no half-close`, async () => {
      check(await transfer({ bytes: 1, seed: 21 + i, link: f.link }), 1);
    });
  }
});
