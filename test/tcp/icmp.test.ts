/**
 * ICMP errors about our segments (RFC 9293 3.9.2.2: MUST-54, MUST-55, MUST-56, SHLD-25, SHLD-26),
 * validated against the outstanding sequence space (RFC 5927 4.1), and packet-too-big (RFC 1191).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TcpState } from '../../src/tcp/state.js';
import { bytes, events, expectSent, established } from './util.js';

function withOutstanding() {
  const c = established({ config: { nagle: false } });
  c.send(bytes('hello'));
  expectSent(c, { seq: 67 });
  return c;
}

describe('ICMP errors (3.9.2.2)', () => {
  test('net and host unreachable are reported and do not abort the connection (SHLD-25, MUST-56)', () => {
    const c = withOutstanding();
    c.handleIcmp(1, { kind: 'unreachable', code: 0, seq: 67 });
    c.handleIcmp(1, { kind: 'unreachable', code: 1, seq: 67 });
    c.handleIcmp(1, { kind: 'unreachable', code: 5, seq: 67 });
    assert.equal(c.state, TcpState.Established);
    assert.deepEqual(events(c).map((e) => e.type), ['icmp-error', 'icmp-error', 'icmp-error']);
  });

  test('time exceeded and parameter problem do not abort (MUST-56)', () => {
    const c = withOutstanding();
    c.handleIcmp(1, { kind: 'time-exceeded', seq: 67 });
    c.handleIcmp(1, { kind: 'parameter-problem', seq: 67 });
    assert.equal(c.state, TcpState.Established);
  });

  test('source quench is silently discarded (MUST-55)', () => {
    const c = withOutstanding();
    c.handleIcmp(1, { kind: 'source-quench', seq: 67 });
    assert.deepEqual(events(c), []);
    assert.equal(c.state, TcpState.Established);
  });

  test('protocol and port unreachable abort the connection (SHLD-26)', () => {
    const c = withOutstanding();
    c.handleIcmp(1, { kind: 'unreachable', code: 3, seq: 67 });
    assert.equal(c.state, TcpState.Closed);
    assert.deepEqual(events(c), [{ type: 'reset', reason: 'icmp-unreachable' }]);
  });

  test('an ICMP error quoting a sequence number that is not outstanding is ignored (RFC 5927)', () => {
    const c = withOutstanding();
    c.handleIcmp(1, { kind: 'unreachable', code: 3, seq: 5000 });
    c.handleIcmp(1, { kind: 'unreachable', code: 3, seq: 72 }); // SND.MAX: nothing sent there yet
    assert.equal(c.state, TcpState.Established);
    assert.equal(c.counters.drops['icmp-ignored'], 2);
  });

  test('packet too big lowers the effective MSS and resends in smaller segments (RFC 1191)', () => {
    const c = established({ config: { nagle: false, congestionControl: 'none' } });
    c.send(new Uint8Array(3000));
    expectSent(c, { seq: 67 });
    expectSent(c, { seq: 67 + 1460 });
    expectSent(c, { seq: 67 + 2920 });
    c.handleIcmp(1, { kind: 'packet-too-big', mtu: 1000, seq: 67 });
    assert.equal(c.info().effSndMss, 960);
    assert.equal(expectSent(c, { seq: 67 }, 1).payload.length, 960);
    assert.equal(expectSent(c, { seq: 67 + 960 }, 1).payload.length, 960);
  });
});
