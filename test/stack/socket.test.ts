/**
 * The Node-style socket API (src/stack/socket.ts, and the Duplex shell in node.ts) on two simulated
 * hosts: the events, errors, options and properties a net.Socket user relies on. What goes over
 * the wire is checked against the RFC (RST forms, keep-alive probe form, Nagle holding a small
 * segment, window closing under backpressure).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { WireEvent } from '../../src/link/memory.js';
import { SeededRandom } from '../../src/link/rng.js';
import { ConnectionRefusedError, ConnectionResetError, SocketError, TimedOutError } from '../../src/stack/errors.js';
import { NodeNet } from '../../src/stack/node.js';
import { Simulation, type SimulationOptions } from '../../src/stack/sim.js';
import type { TcpSocket } from '../../src/stack/socket.js';
import { decodeForTrace, type TraceTcp } from '../../src/stack/trace.js';
import { TcpFlag } from '../../src/wire/tcp.js';

const { SYN, ACK, RST, FIN } = TcpFlag;

interface Wire {
  readonly time: number;
  readonly from: 'a' | 'b';
  readonly tcp: TraceTcp;
  readonly fate: string;
}

function setup(o: SimulationOptions = {}): { sim: Simulation; wire: Wire[] } {
  const sim = new Simulation({ seed: 1, link: { delay: 10 }, ...o });
  const wire: Wire[] = [];
  sim.pair.observe((e: WireEvent) => {
    const d = decodeForTrace(e.packet);
    if (d.tcp !== undefined) wire.push({ time: e.time, from: e.from, tcp: d.tcp, fate: e.fate });
  });
  return { sim, wire };
}

function log(s: TcpSocket, out: string[], who: string): void {
  s.on('connect', () => out.push(`${who}:connect`));
  s.on('ready', () => out.push(`${who}:ready`));
  s.on('end', () => out.push(`${who}:end`));
  s.on('finish', () => out.push(`${who}:finish`));
  s.on('error', (e) => out.push(`${who}:error:${(e as SocketError).code}`));
  s.on('close', (h) => out.push(`${who}:close:${h}`));
}

describe('errors', () => {
  test('ECONNREFUSED: a SocketError with errno, syscall, address and port; then close(true)', () => {
    const { sim } = setup();
    const ev: string[] = [];
    const c = sim.a.connect({ host: '10.0.0.2', port: 23 });
    log(c, ev, 'A');
    let err: unknown;
    c.on('error', (e) => (err = e));
    sim.runUntil(() => c.destroyed);
    assert.ok(err instanceof ConnectionRefusedError);
    assert.equal(err.code, 'ECONNREFUSED');
    assert.equal(err.errno, -111);
    assert.equal(err.syscall, 'connect');
    assert.equal(err.address, '10.0.0.2');
    assert.equal(err.port, 23);
    assert.equal(err.message, 'connect ECONNREFUSED 10.0.0.2:23');
    assert.deepEqual(ev, ['A:error:ECONNREFUSED', 'A:close:true']);
  });

  test('ECONNRESET: the peer aborts; the RST has <SEQ=SND.NXT> and no ACK (RFC 9293 3.10.5)', () => {
    const { sim, wire } = setup();
    const ev: string[] = [];
    sim.b
      .createServer((s) => {
        log(s, ev, 'B');
        s.on('data', () => s.destroy());
      })
      .listen(80);
    const c = sim.a.connect({ host: '10.0.0.2', port: 80 });
    log(c, ev, 'A');
    let err: unknown;
    c.on('error', (e) => (err = e));
    c.on('connect', () => c.write('x'));
    sim.runUntil(() => c.destroyed);
    assert.ok(err instanceof ConnectionResetError);
    assert.equal(err.code, 'ECONNRESET');
    const rst = wire.find((w) => w.tcp.flags & RST);
    assert.equal(rst?.from, 'b');
    assert.equal(rst?.tcp.flags, RST);
    const bLast = wire.filter((w) => w.from === 'b' && !(w.tcp.flags & RST)).pop();
    assert.equal(rst?.tcp.seq, ((bLast?.tcp.seq ?? 0) + 1) >>> 0, "B's SND.NXT is one past its SYN");
    assert.deepEqual(ev, ['A:connect', 'A:ready', 'B:close:false', 'A:error:ECONNRESET', 'A:close:true']);
  });

  test('ETIMEDOUT: SYNs into a dead link are retransmitted at 1, 3 s and given up at 7 s (RFC 6298 5.5 doubling)', () => {
    const { sim, wire } = setup({ link: { delay: 10, aToB: { loss: 1 } } });
    const c = sim.a.connect({ host: '10.0.0.2', port: 80, tcp: { maxSynRetries: 2 } });
    let err: unknown;
    let at = -1;
    c.on('error', (e) => {
      err = e;
      at = sim.now();
    });
    sim.runUntil(() => c.destroyed);
    assert.ok(err instanceof TimedOutError);
    assert.equal(err.code, 'ETIMEDOUT');
    assert.equal(err.syscall, 'connect');
    assert.deepEqual(
      wire.map((w) => w.time),
      [0, 1000, 3000],
    );
    assert.equal(at, 7000);
  });

  test('EADDRINUSE: a second listener on the port; a connect from a local port already connected there', () => {
    const { sim } = setup();
    sim.b.createServer().listen(80);
    const second = sim.b.createServer();
    let err: unknown;
    second.on('error', (e) => (err = e));
    second.listen(80);
    const c1 = sim.a.connect({ host: '10.0.0.2', port: 80, localPort: 40000 });
    const c2 = sim.a.connect({ host: '10.0.0.2', port: 80, localPort: 40000 });
    let err2: unknown;
    c2.on('error', (e) => (err2 = e));
    sim.runUntil(() => err !== undefined && err2 !== undefined && !c1.connecting);
    assert.equal((err as SocketError).code, 'EADDRINUSE');
    assert.equal((err2 as SocketError).code, 'EADDRINUSE');
    assert.equal(c1.readyState, 'open');
  });

  test('EPIPE: write after end() fails with EPIPE (core and Duplex)', async () => {
    const { sim } = setup();
    sim.b.createServer((s) => s.resume()).listen(80);
    const c = sim.a.connect({ host: '10.0.0.2', port: 80, allowHalfOpen: true });
    const errs: string[] = [];
    c.on('error', (e) => errs.push((e as SocketError).code));
    let cbErr: Error | null | undefined;
    c.on('connect', () => {
      c.end();
      c.write('late', (e) => (cbErr = e));
    });
    sim.runUntil(() => errs.length > 0);
    assert.deepEqual(errs, ['EPIPE']);
    assert.equal((cbErr as SocketError).code, 'EPIPE');

    const net = new NodeNet(sim.a);
    const n = net.connect({ host: '10.0.0.2', port: 80, allowHalfOpen: true });
    const nErrs: string[] = [];
    n.on('error', (e) => nErrs.push((e as SocketError).code));
    n.on('connect', () => {
      n.end();
      n.write('late');
    });
    await sim.runUntilAsync(() => nErrs.length > 0, { until: sim.now() + 1000 });
    assert.deepEqual(nErrs, ['EPIPE']);
  });

  test('ENOTFOUND for a host that is not an address; a bad port throws at once', () => {
    const { sim } = setup();
    const c = sim.a.connect({ host: 'example.org', port: 80 });
    let code = '';
    c.on('error', (e) => (code = (e as SocketError).code));
    sim.runUntil(() => c.destroyed);
    assert.equal(code, 'ENOTFOUND');
    assert.throws(() => sim.a.connect({ host: '10.0.0.2', port: 0 }), { code: 'ERR_SOCKET_BAD_PORT' });
    assert.throws(() => sim.a.connect({ host: '10.0.0.2', port: 70000 }), { code: 'ERR_SOCKET_BAD_PORT' });
  });
});

describe('half-close and readyState', () => {
  test('allowHalfOpen false (default): the server ends its side as soon as the client FIN arrives', () => {
    const { sim, wire } = setup();
    let server: TcpSocket | undefined;
    sim.b.createServer((s) => (server = s.resume())).listen(80);
    const c = sim.a.connect({ host: '10.0.0.2', port: 80, allowHalfOpen: true });
    c.resume();
    c.on('connect', () => c.end());
    sim.runUntil(() => c.destroyed && server?.destroyed === true);
    const fins = wire.filter((w) => w.tcp.flags & FIN);
    assert.deepEqual(
      fins.map((w) => w.from),
      ['a', 'b'],
    );
    // B's FIN goes out at the moment A's FIN arrives (after B's ACK of it).
    assert.equal((fins[1] as Wire).time, (fins[0] as Wire).time + 10);
  });

  test('allowHalfOpen true: the server stays in CLOSE-WAIT (writeOnly) and can still send', () => {
    const { sim } = setup();
    let server: TcpSocket | undefined;
    sim.b.createServer({ allowHalfOpen: true }, (s) => (server = s.resume())).listen(80);
    const c = sim.a.connect({ host: '10.0.0.2', port: 80, allowHalfOpen: true });
    const got: string[] = [];
    c.on('data', (d) => got.push(new TextDecoder().decode(d)));
    assert.equal(c.readyState, 'opening');
    c.on('connect', () => {
      assert.equal(c.readyState, 'open');
      c.end();
      assert.equal(c.readyState, 'readOnly');
    });
    sim.runFor(100);
    assert.equal(server?.tcpState, 'CLOSE-WAIT');
    assert.equal(server?.readyState, 'writeOnly');
    assert.equal(c.tcpState, 'FIN-WAIT-2');
    server?.end('still here');
    sim.runUntil(() => c.destroyed && server?.destroyed === true);
    assert.deepEqual(got, ['still here']);
    assert.equal(c.readyState, 'closed');
  });

  test('properties: addresses, ports, family, bytesRead and bytesWritten', () => {
    const { sim } = setup();
    let server: TcpSocket | undefined;
    sim.b
      .createServer((s) => {
        server = s;
        s.on('data', (d) => s.write(d));
      })
      .listen(8080);
    const c = sim.a.connect({ host: '10.0.0.2', port: 8080 });
    c.on('connect', () => c.write('12345'));
    c.on('data', () => c.end());
    sim.runUntil(() => c.destroyed);
    assert.equal(c.remoteAddress, '10.0.0.2');
    assert.equal(c.remotePort, 8080);
    assert.equal(c.remoteFamily, 'IPv4');
    assert.equal(c.localAddress, '10.0.0.1');
    assert.ok((c.localPort ?? 0) >= 49152 && (c.localPort ?? 0) <= 65535);
    assert.deepEqual(c.address(), { address: '10.0.0.1', family: 'IPv4', port: c.localPort });
    assert.equal(c.bytesWritten, 5);
    assert.equal(c.bytesRead, 5);
    assert.equal(server?.remotePort, c.localPort);
    assert.equal(server?.bytesRead, 5);
  });

  test('IPv6 end to end: addresses, family and data', () => {
    const { sim } = setup({ a: { addresses: ['fd00::1'] }, b: { addresses: ['fd00::2'] } });
    const got: Uint8Array[] = [];
    sim.b.createServer((s) => s.on('data', (d) => got.push(d))).listen(80);
    const c = sim.a.connect({ host: 'fd00::2', port: 80 });
    const data = new SeededRandom(6).fill(new Uint8Array(100_000));
    c.on('connect', () => c.end(data));
    c.resume();
    sim.runUntil(() => c.destroyed);
    assert.equal(c.remoteFamily, 'IPv6');
    assert.equal(c.localAddress, 'fd00::1');
    assert.deepEqual(Buffer.concat(got), Buffer.from(data));
  });
});

describe('flow control and options', () => {
  test('pause() closes the receive window: the sender stops (zero window) and nothing is buffered beyond the receive buffer; resume() delivers all', () => {
    const { sim, wire } = setup({ a: { tcp: { sendBufferSize: 64 * 1024 } }, b: { tcp: { recvBufferSize: 32 * 1024 } } });
    let server: TcpSocket | undefined;
    const h = createHash('sha256');
    let n = 0;
    sim.b
      .createServer((s) => {
        server = s;
        s.pause();
        s.on('data', (d) => {
          h.update(d);
          n += d.length;
        });
      })
      .listen(80);
    const data = new SeededRandom(9).fill(new Uint8Array(512 * 1024));
    const c = sim.a.connect({ host: '10.0.0.2', port: 80 });
    let accepted = false;
    c.on('connect', () => (accepted = c.write(data)));
    sim.runFor(5000);
    assert.equal(accepted, false, 'write() reports backpressure');
    assert.equal(n, 0);
    assert.ok((server?.readableLength ?? 0) <= 32 * 1024, 'the receiver holds at most its receive buffer');
    assert.equal(server?.tcpInfo()?.rcvWnd, 0);
    assert.ok(wire.some((w) => w.from === 'b' && w.tcp.window === 0), 'B advertised a zero window');
    assert.ok(c.writableLength > 0, 'the rest waits in the sender');
    server?.resume();
    c.on('drain', () => c.end());
    sim.runUntil(() => c.destroyed && server?.destroyed === true, { until: 600_000 });
    assert.equal(n, data.length);
    assert.equal(h.digest('hex'), createHash('sha256').update(data).digest('hex'));
  });

  test("Nagle holds a small second write until the first is acknowledged; setNoDelay(true) sends it at once", () => {
    for (const noDelay of [false, true]) {
      // No window scaling: B's first read then opens no larger window, so no early window-update ACK.
      const plain = { windowScaling: false };
      const { sim, wire } = setup({ a: { tcp: plain }, b: { tcp: plain } });
      sim.b.createServer((s) => s.resume()).listen(80);
      const c = sim.a.connect({ host: '10.0.0.2', port: 80 });
      c.setNoDelay(noDelay);
      c.on('connect', () => {
        c.write('a');
        sim.after(5, () => c.write('b'));
      });
      sim.runFor(200);
      const data = wire.filter((w) => w.from === 'a' && w.tcp.payloadLength > 0);
      assert.equal(data.length, 2);
      const gap = (data[1] as Wire).time - (data[0] as Wire).time;
      // Without Nagle 5 ms later; with it, when the ACK of 'a' returns (B's delayed ACK: 40 ms, + 2 x 10 ms).
      assert.equal(gap, noDelay ? 5 : 60, `noDelay=${noDelay}`);
    }
  });

  test('setKeepAlive(true, 1000): after 1 s idle a probe <SEQ=SND.NXT-1> with no data (RFC 9293 3.8.4, SHLD-12) is answered by an ACK', () => {
    const { sim, wire } = setup();
    sim.b.createServer((s) => s.resume()).listen(80);
    const c = sim.a.connect({ host: '10.0.0.2', port: 80 });
    c.on('connect', () => c.setKeepAlive(true, 1000));
    sim.runFor(1500);
    const est = wire.find((w) => w.from === 'a' && w.tcp.flags === ACK);
    const probe = wire.find((w) => w.from === 'a' && w.time >= 1000);
    assert.ok(est && probe);
    assert.equal(probe.time, 1020, 'one idle second after ESTABLISHED');
    assert.equal(probe.tcp.seq, (est.tcp.seq - 1) >>> 0);
    assert.equal(probe.tcp.payloadLength, 0);
    const answer = wire.find((w) => w.from === 'b' && w.time > probe.time);
    assert.equal(answer?.tcp.flags, ACK);
    assert.equal(answer?.tcp.ack, est.tcp.seq);
  });

  test("setTimeout(500): 'timeout' after 500 ms without activity, again only after new activity; the socket stays open", () => {
    const { sim } = setup();
    sim.b.createServer((s) => s.on('data', (d) => s.write(d))).listen(80);
    const c = sim.a.connect({ host: '10.0.0.2', port: 80 });
    const times: number[] = [];
    c.setTimeout(500, () => undefined);
    c.on('timeout', () => times.push(sim.now()));
    c.resume();
    sim.at(1000, () => c.write('ping'));
    sim.runFor(3000);
    // connected at 20 -> 520; write at 1000 and the echo read at 1020 -> 1520.
    assert.deepEqual(times, [520, 1520]);
    assert.equal(c.readyState, 'open');
  });

  test('destroySoon(): FIN after the queued data, the socket closes, the peer reads everything', () => {
    const { sim, wire } = setup();
    const got: Uint8Array[] = [];
    let ended = false;
    sim.b
      .createServer((s) => {
        s.on('data', (d) => got.push(d));
        s.on('end', () => (ended = true));
      })
      .listen(80);
    const c = sim.a.connect({ host: '10.0.0.2', port: 80 });
    c.on('connect', () => {
      c.write('last words');
      c.destroySoon();
    });
    sim.runUntil(() => ended && c.destroyed);
    assert.equal(new TextDecoder().decode(Buffer.concat(got)), 'last words');
    assert.ok(!wire.some((w) => w.tcp.flags & RST));
    assert.ok(wire.some((w) => w.from === 'a' && w.tcp.flags & FIN));
  });

  test("destroy(err) emits 'error' then 'close'(true); destroy() emits only 'close'(false)", () => {
    const { sim } = setup();
    sim.b.createServer((s) => s.resume()).listen(80);
    const ev: string[] = [];
    const c1 = sim.a.connect({ host: '10.0.0.2', port: 80 });
    const c2 = sim.a.connect({ host: '10.0.0.2', port: 80 });
    log(c1, ev, 'c1');
    log(c2, ev, 'c2');
    c1.on('connect', () => c1.destroy(new Error('boom')));
    c2.on('connect', () => c2.destroy());
    sim.runUntil(() => c1.destroyed && c2.destroyed);
    assert.deepEqual(
      ev.filter((e) => e.startsWith('c1:')),
      ['c1:connect', 'c1:ready', 'c1:error:undefined', 'c1:close:true'],
    );
    assert.deepEqual(
      ev.filter((e) => e.startsWith('c2:')),
      ['c2:connect', 'c2:ready', 'c2:close:false'],
    );
  });

  test("'data' flows only once a listener is added; read() pulls in paused mode", () => {
    const { sim } = setup();
    sim.b.createServer((s) => s.end('hello')).listen(80);
    const c = sim.a.connect({ host: '10.0.0.2', port: 80, allowHalfOpen: true });
    let readable = 0;
    c.on('readable', () => readable++);
    sim.runFor(100);
    assert.ok(readable >= 1);
    assert.equal(c.readableLength, 5);
    assert.equal(new TextDecoder().decode(c.read() ?? new Uint8Array()), 'hello');
    let ended = false;
    c.on('end', () => (ended = true));
    assert.equal(c.read(), null);
    assert.ok(ended, "read() at the end of the stream emits 'end'");
  });

  test('write callbacks run once the engine has taken the data; end(cb) after finish', () => {
    const { sim } = setup();
    sim.b.createServer((s) => s.resume()).listen(80);
    const c = sim.a.connect({ host: '10.0.0.2', port: 80 });
    const order: string[] = [];
    c.write('one', () => order.push('one'));
    c.write('two', () => order.push('two'));
    c.end(() => order.push('finish'));
    sim.runUntil(() => c.destroyed);
    assert.deepEqual(order, ['one', 'two', 'finish']);
  });
});

describe('server', () => {
  test("close(): no new connections (a SYN is refused), 'close' once the last accepted socket has closed", () => {
    const { sim } = setup();
    let accepted: TcpSocket | undefined;
    const srv = sim.b.createServer({ allowHalfOpen: true }, (s) => {
      accepted = s;
      s.resume();
    });
    let listening = false;
    srv.listen(80, () => (listening = true));
    assert.equal(srv.address()?.port, 80);
    const c = sim.a.connect({ host: '10.0.0.2', port: 80, allowHalfOpen: true });
    c.resume();
    sim.runFor(100);
    assert.ok(listening && accepted);
    let closed = false;
    srv.close(() => (closed = true));
    assert.equal(srv.address(), null);
    const late = sim.a.connect({ host: '10.0.0.2', port: 80 });
    let lateErr = '';
    late.on('error', (e) => (lateErr = (e as SocketError).code));
    sim.runFor(100);
    assert.equal(lateErr, 'ECONNREFUSED');
    assert.equal(closed, false, 'an accepted connection is still open');
    c.end();
    accepted.end();
    sim.runUntil(() => closed);
    assert.ok(closed);
  });

  test('listen(0) picks a free ephemeral port', () => {
    const { sim } = setup();
    const srv = sim.b.createServer().listen(0);
    const p = srv.address()?.port ?? 0;
    assert.ok(p >= 49152 && p <= 65535);
    const c = sim.a.connect({ host: '10.0.0.2', port: p });
    sim.runFor(100);
    assert.equal(c.readyState, 'open');
  });
});

describe('Node Duplex shell', () => {
  test('pipe() echo server and a client that ends: the echo arrives and both close', async () => {
    const { sim } = setup();
    const netA = new NodeNet(sim.a);
    const netB = new NodeNet(sim.b);
    netB.createServer((s) => s.pipe(s)).listen(7);
    const c = netA.connect({ host: '10.0.0.2', port: 7 }, () => c.end('echo me'));
    const got: Buffer[] = [];
    c.on('data', (d: Buffer) => got.push(d));
    let closed = false;
    c.on('close', () => (closed = true));
    await sim.runUntilAsync(() => closed, { until: 10_000 });
    assert.equal(Buffer.concat(got).toString(), 'echo me');
    assert.equal(c.remotePort, 7);
    assert.equal(c.bytesRead, 7);
    assert.equal(c.bytesWritten, 7);
  });

  test('ECONNREFUSED through the Duplex: error then close(true)', async () => {
    const { sim } = setup();
    const c = new NodeNet(sim.a).connect({ host: '10.0.0.2', port: 9 });
    const ev: string[] = [];
    c.on('error', (e) => ev.push(`error:${(e as SocketError).code}`));
    c.on('close', (h: boolean) => ev.push(`close:${h}`));
    await sim.runUntilAsync(() => ev.length >= 2, { until: 10_000 });
    assert.deepEqual(ev, ['error:ECONNREFUSED', 'close:true']);
  });

  test('destroy() on an open Duplex resets the connection (the peer gets ECONNRESET)', async () => {
    const { sim } = setup();
    let peerErr = '';
    sim.b.createServer((s) => {
      s.resume();
      s.on('error', (e) => (peerErr = (e as SocketError).code));
    }).listen(80);
    const c = new NodeNet(sim.a).connect({ host: '10.0.0.2', port: 80 }, () => c.destroy());
    await sim.runUntilAsync(() => peerErr !== '', { until: 10_000 });
    assert.equal(peerErr, 'ECONNRESET');
  });
});

describe('SYN, ACK and the handshake through the socket API', () => {
  test('connect() sends a SYN with MSS; the server answers SYN,ACK; the client ACKs; no RST anywhere', () => {
    const { sim, wire } = setup();
    sim.b.createServer().listen(80);
    sim.a.connect({ host: '10.0.0.2', port: 80 });
    sim.runFor(100);
    assert.deepEqual(
      wire.map((w) => w.tcp.flags),
      [SYN, SYN | ACK, ACK],
    );
  });
});
