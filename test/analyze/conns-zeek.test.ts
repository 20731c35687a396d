/**
 * Zeek's conn_state and history on crafted connections, one per state. Zeek is not installable
 * here, so each expectation is derived in the comment above it from Zeek's documentation of
 * conn.log (base/protocols/conn/main.zeek: the state list and the history letter rules) and, where
 * the documentation is silent, from the TCP analyzer's rules it summarizes (WantConnection's
 * port heuristic for who is the originator when the first packet is not a SYN; the SYN/SYN-ACK
 * reversal). Letters: upper case = originator.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ConnectionRecord, trackConnections } from '../../src/analyze/conns.js';
import { decodeCapture } from '../../src/capture/decoder.js';
import { ACK, CLIENT4, type CraftSegment, craftPcap, type Endpoint, FIN, handshake, PSH, RST, SERVER4, SYN } from './conns-craft.js';

const C = 1000;
const S = 5000;
const HTTP: Endpoint = { ip: '192.0.2.2', port: 80 };

function one(segs: readonly CraftSegment[], server: Endpoint = SERVER4): ConnectionRecord {
  const { records } = decodeCapture(craftPcap(segs, { client: CLIENT4, server }));
  const all = trackConnections(records);
  assert.equal(all.length, 1);
  return all[0] as ConnectionRecord;
}

const cData = (t: number, rel: number, len: number, flags = PSH | ACK): CraftSegment => ({ t, from: 'c', flags, seq: C + rel, ack: S + 1, win: 502, len });
const sAck = (t: number, rel: number, win = 509, flags = ACK): CraftSegment => ({ t, from: 's', flags, seq: S + 1, ack: C + rel, win });
const cFin = (t: number, rel: number): CraftSegment => ({ t, from: 'c', flags: FIN | ACK, seq: C + rel, ack: S + 1, win: 502 });
const sFin = (t: number, rel: number): CraftSegment => ({ t, from: 's', flags: FIN | ACK, seq: S + 1, ack: C + rel, win: 509 });

describe('conn_state: each of the thirteen as Zeek documents it', () => {
  test('S0 "connection attempt seen, no reply": a SYN and its retransmission', () => {
    // The repeated SYN has the same sequence number, so 's' is not recorded twice.
    const c = one([
      { t: 0, from: 'c', flags: SYN, seq: C, win: 64240 },
      { t: 1, from: 'c', flags: SYN, seq: C, win: 64240 },
    ]);
    assert.deepEqual([c.state, c.history], ['S0', 'S']);
  });

  test('S1 "established, not terminated": handshake and data, no FIN', () => {
    const c = one([...handshake(C, S), cData(0.02, 1, 100), sAck(0.03, 101)]);
    assert.deepEqual([c.state, c.history], ['S1', 'ShADa']);
  });

  test('SF "normal establishment and termination"', () => {
    const c = one([...handshake(C, S), cData(0.02, 1, 100), sAck(0.03, 101), cFin(0.04, 101), sFin(0.05, 102), { t: 0.06, from: 'c', flags: ACK, seq: C + 102, ack: S + 2, win: 502 }]);
    assert.deepEqual([c.state, c.history], ['SF', 'ShADaFf']);
  });

  test('REJ "connection attempt rejected": SYN answered by RST+ACK', () => {
    const c = one([{ t: 0, from: 'c', flags: SYN, seq: C, win: 64240 }, { t: 0.001, from: 's', flags: RST | ACK, seq: 0, ack: C + 1, win: 0 }]);
    assert.deepEqual([c.state, c.history], ['REJ', 'Sr']);
  });

  test('S2 "close attempt by originator seen (but no reply from responder)"', () => {
    const c = one([...handshake(C, S), cFin(0.02, 1), sAck(0.03, 2)]);
    assert.deepEqual([c.state, c.history], ['S2', 'ShAFa']);
  });

  test('S3 "close attempt by responder seen (but no reply from originator)"', () => {
    const c = one([...handshake(C, S), sFin(0.02, 1)]);
    assert.deepEqual([c.state, c.history], ['S3', 'ShAf']);
  });

  test('RSTO "established, originator aborted (sent a RST)"', () => {
    const c = one([...handshake(C, S), cData(0.02, 1, 10), { t: 0.03, from: 'c', flags: RST | ACK, seq: C + 11, ack: S + 1, win: 0 }]);
    assert.deepEqual([c.state, c.history], ['RSTO', 'ShADR']);
  });

  test('RSTR "responder sent a RST"', () => {
    const c = one([...handshake(C, S), cData(0.02, 1, 10), { t: 0.03, from: 's', flags: RST, seq: S + 1, ack: 0, win: 0 }]);
    assert.deepEqual([c.state, c.history], ['RSTR', 'ShADr']);
  });

  test('RSTOS0 "originator sent a SYN followed by a RST, we never saw a SYN-ACK"', () => {
    const c = one([{ t: 0, from: 'c', flags: SYN, seq: C, win: 64240 }, { t: 0.5, from: 'c', flags: RST, seq: C + 1, win: 0 }]);
    assert.deepEqual([c.state, c.history], ['RSTOS0', 'SR']);
  });

  test('RSTRH "responder sent a SYN ACK followed by a RST, we never saw a SYN"', () => {
    // The first packet is a SYN-ACK from port 80, a likely server port, to port 40001, which is
    // not: Zeek flips the roles ('^'), so the SYN-ACK's sender is the responder ('h', 'r').
    const c = one(
      [
        { t: 0, from: 's', flags: SYN | ACK, seq: S, ack: C + 1, win: 65160 },
        { t: 0.01, from: 's', flags: RST, seq: S + 1, ack: 0, win: 0 },
      ],
      HTTP,
    );
    assert.deepEqual([c.state, c.history, c.originator], ['RSTRH', '^hr', 'client']);
  });

  test('SH "originator sent a SYN followed by a FIN, we never saw a SYN ACK"', () => {
    const c = one([{ t: 0, from: 'c', flags: SYN, seq: C, win: 64240 }, { t: 0.2, from: 'c', flags: FIN, seq: C + 1, win: 64240 }]);
    assert.deepEqual([c.state, c.history], ['SH', 'SF']);
  });

  test('SHR "responder sent a SYN ACK followed by a FIN, we never saw a SYN"', () => {
    // As for RSTRH, port 80 makes the SYN-ACK's sender the responder.
    const c = one(
      [
        { t: 0, from: 's', flags: SYN | ACK, seq: S, ack: C + 1, win: 65160 },
        { t: 0.01, from: 's', flags: FIN | ACK, seq: S + 1, ack: C + 1, win: 509 },
      ],
      HTTP,
    );
    assert.deepEqual([c.state, c.history], ['SHR', '^hf']);
  });

  test('OTH "no SYN seen, just midstream traffic"', () => {
    const c = one([cData(0, 1, 100), sAck(0.01, 101), cData(0.02, 101, 100)]);
    assert.deepEqual([c.state, c.history, c.roles], ['OTH', 'Da', 'zeek-originator']);
  });
});

describe('history letters', () => {
  test("'t' is logarithmic: one T for 1-9 retransmissions, two for 10-99", () => {
    const base = [...handshake(C, S), cData(0.02, 1, 100)];
    const rexmit = (n: number): CraftSegment[] => Array.from({ length: n }, (_, i) => cData(0.2 + i * 0.2, 1, 100));
    assert.equal(one([...base, ...rexmit(9)]).history, 'ShADT');
    assert.equal(one([...base, ...rexmit(10)]).history, 'ShADTT');
  });

  test("'w' for a zero window, 'c' for a bad checksum (and nothing else from that packet)", () => {
    const c = one([...handshake(C, S), cData(0.02, 1, 100), sAck(0.03, 101, 0), { ...cData(0.04, 101, 10), badChecksum: true }]);
    assert.equal(c.history, 'ShADawC');
  });

  test("'q' for SYN+FIN, 'i' for FIN+RST, once per direction", () => {
    const q = one([{ t: 0, from: 'c', flags: SYN | FIN, seq: C, win: 64240 }]);
    assert.equal(q.history, 'Q');
    const i = one([...handshake(C, S), { t: 0.1, from: 'c', flags: FIN | RST | ACK, seq: C + 1, ack: S + 1, win: 0 }, { t: 0.2, from: 'c', flags: FIN | RST | ACK, seq: C + 1, ack: S + 1, win: 0 }]);
    assert.equal(i.history, 'ShAI');
  });

  test("'f' again only for a FIN at another sequence number", () => {
    // A retransmitted FIN (same sequence number) adds nothing; a FIN after more data does. A FIN
    // that carries data gives 'f', not 'd' (the analyzer looks at SYN/FIN/RST before payload).
    const c = one([...handshake(C, S), cFin(0.1, 1), cFin(0.3, 1), cData(0.4, 2, 10, PSH | ACK | FIN)]);
    assert.equal(c.history, 'ShAFF');
  });

  test('a SYN-ACK seen before its SYN: the roles are flipped back (SYN/SYN-ACK reversal)', () => {
    // Port 5201 is not a likely server port, so the first packet's sender (the server) starts as
    // the originator: 'H'. The client's SYN then arrives with the sequence number the SYN-ACK
    // acknowledged: Zeek flips the roles ('^') after recording the SYN as the responder's 's'.
    const c = one([
      { t: 0, from: 's', flags: SYN | ACK, seq: S, ack: C + 1, win: 65160 },
      { t: 0.0001, from: 'c', flags: SYN, seq: C, win: 64240 },
      { t: 0.01, from: 'c', flags: ACK, seq: C + 1, ack: S + 1, win: 502 },
    ]);
    assert.deepEqual([c.history, c.state, c.originator, c.client.port], ['Hs^A', 'S1', 'client', 40001]);
  });
});
