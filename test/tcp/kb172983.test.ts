/**
 * Replays the real Windows trace of Microsoft KB172983 (test/fixtures/kb172983.pcap, the capture
 * behind the seed documents 000-002) against the engine, playing each side in turn. The table below
 * is what tshark shows for the capture; a test re-reads it with tshark when tshark is installed.
 *
 * Frames 1-3 are a handshake (NTW3:1037 -> BDC3:139); frames 4-7 are the close of another
 * connection (2337 -> 1352). The engine's receive buffer is set to the window each host used, so
 * the window fields can be compared as well, except where Windows NT rounded its window up to a
 * multiple of the MSS after the SYN (frame 3).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { TcpConnection } from '../../src/tcp/connection.js';
import { TcpState } from '../../src/tcp/state.js';
import type { TcpRepr } from '../../src/wire/tcp.js';
import { ACK, BASE_CONFIG, expectNothing, expectSent, FIN, mssOption, SYN } from './util.js';

interface Frame {
  readonly no: number;
  readonly src: number;
  readonly dst: number;
  readonly flags: number;
  readonly seq: number;
  readonly ack: number;
  readonly win: number;
  readonly mss?: number;
}

// tshark -r test/fixtures/kb172983.pcap -T fields -e frame.number -e tcp.srcport -e tcp.dstport
//   -e tcp.flags -e tcp.seq_raw -e tcp.ack_raw -e tcp.window_size_value -e tcp.options.mss_val
const FRAMES: readonly Frame[] = [
  { no: 1, src: 1037, dst: 139, flags: SYN, seq: 8221822, ack: 0, win: 8192, mss: 1460 },
  { no: 2, src: 139, dst: 1037, flags: SYN | ACK, seq: 1109645, ack: 8221823, win: 8760, mss: 1460 },
  { no: 3, src: 1037, dst: 139, flags: ACK, seq: 8221823, ack: 1109646, win: 8760 },
  { no: 4, src: 2337, dst: 1352, flags: FIN | ACK, seq: 186685100, ack: 3462835714, win: 8760 },
  { no: 5, src: 1352, dst: 2337, flags: ACK, seq: 3462835714, ack: 186685101, win: 28672 },
  { no: 6, src: 1352, dst: 2337, flags: FIN | ACK, seq: 3462835714, ack: 186685101, win: 28672 },
  { no: 7, src: 2337, dst: 1352, flags: ACK, seq: 186685101, ack: 3462835715, win: 8760 },
];

function frame(no: number): Frame {
  const f = FRAMES[no - 1];
  assert.ok(f);
  return f;
}

function repr(f: Frame): TcpRepr {
  return {
    srcPort: f.src,
    dstPort: f.dst,
    seq: f.seq,
    ack: f.ack,
    flags: f.flags,
    window: f.win,
    urgentPointer: 0,
    options: f.mss === undefined ? [] : [mssOption(f.mss)],
    payload: new Uint8Array(0),
  };
}

function expectFrame(c: TcpConnection, f: Frame, opts: { window?: boolean } = {}): void {
  const s = expectSent(c, { srcPort: f.src, dstPort: f.dst, flags: f.flags, seq: f.seq, ack: f.ack, ...(opts.window === false ? {} : { window: f.win }) });
  if (f.mss !== undefined) assert.deepEqual(s.options, [mssOption(f.mss)]);
}

describe('KB172983 capture replay', () => {
  test('the table matches what tshark reads from the capture', (t) => {
    const pcap = 'test/fixtures/kb172983.pcap';
    let out: string;
    try {
      out = execFileSync(
        'tshark',
        ['-r', pcap, '-T', 'fields', '-e', 'frame.number', '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'tcp.flags', '-e', 'tcp.seq_raw', '-e', 'tcp.ack_raw', '-e', 'tcp.window_size_value', '-e', 'tcp.options.mss_val'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
      );
    } catch {
      t.skip('tshark not available');
      return;
    }
    assert.ok(existsSync(pcap));
    const rows = out.trim().split('\n').map((l) => l.split('\t'));
    assert.equal(rows.length, FRAMES.length);
    for (const [i, r] of rows.entries()) {
      const f = FRAMES[i]!;
      const [no, src, dst, flags, seq, ack, win, mss] = r;
      assert.deepEqual(
        [Number(no), Number(src), Number(dst), Number(flags), Number(seq), Number(ack), Number(win), mss ? Number(mss) : undefined],
        [f.no, f.src, f.dst, f.flags, f.seq, f.ack, f.win, f.mss],
      );
    }
  });

  test('as the server BDC3, the engine answers frame 1 with frame 2 and is ESTABLISHED after frame 3', () => {
    const b = TcpConnection.listen({ localPort: 139, iss: 1109645, config: { ...BASE_CONFIG, recvBufferSize: 8760 } });
    b.handleSegment(0, repr(frame(1)));
    expectFrame(b, frame(2));
    b.handleSegment(1, repr(frame(3)));
    assert.equal(b.state, TcpState.Established);
    expectNothing(b, 1);
  });

  test('as the client NTW3, the engine sends frame 1 and answers frame 2 with frame 3', () => {
    const a = TcpConnection.connect({ now: 0, localPort: 1037, remotePort: 139, iss: 8221822, config: { ...BASE_CONFIG, recvBufferSize: 8192 } });
    expectFrame(a, frame(1));
    a.handleSegment(1, repr(frame(2)));
    // NT advertised 8760 (6 * 1460) after the handshake; the engine keeps its 8192-byte buffer.
    expectFrame(a, frame(3), { window: false });
    assert.equal(a.state, TcpState.Established);
  });

  test('as the passive closer (port 1352), the engine answers frame 4 with frame 5 and closes with frame 6', () => {
    const b = TcpConnection.accept({
      now: 0,
      syn: { ...repr(frame(4)), flags: SYN, seq: 186685099, ack: 0 },
      iss: 3462835713,
      config: { ...BASE_CONFIG, recvBufferSize: 28672 },
    });
    expectSent(b, { flags: SYN | ACK, seq: 3462835713, ack: 186685100 });
    b.handleSegment(1, { ...repr(frame(4)), flags: ACK, seq: 186685100, ack: 3462835714 });
    assert.equal(b.state, TcpState.Established);
    b.handleSegment(2, repr(frame(4)));
    expectFrame(b, frame(5));
    expectNothing(b, 2);
    b.close();
    expectFrame(b, frame(6));
    b.handleSegment(3, repr(frame(7)));
    assert.equal(b.state, TcpState.Closed);
  });

  test('as the active closer (port 2337), the engine sends frame 4 and answers frame 6 with frame 7', () => {
    const a = TcpConnection.connect({ now: 0, localPort: 2337, remotePort: 1352, iss: 186685099, config: { ...BASE_CONFIG, recvBufferSize: 8760 } });
    expectSent(a, { flags: SYN, seq: 186685099 });
    a.handleSegment(0, { ...repr(frame(5)), flags: SYN | ACK, seq: 3462835713, ack: 186685100 });
    expectSent(a, { flags: ACK, seq: 186685100, ack: 3462835714 });
    a.close();
    expectFrame(a, frame(4));
    a.handleSegment(1, repr(frame(5)));
    assert.equal(a.state, TcpState.FinWait2);
    a.handleSegment(2, repr(frame(6)));
    expectFrame(a, frame(7));
    assert.equal(a.state, TcpState.TimeWait);
  });
});
