/**
 * `synack nc` without a device: flag parsing, the kernel-side address a created device gets, and
 * usage errors (exit 64, nothing opened). The end-to-end tests against the kernel are in
 * test/interop-kernel/nc.test.ts (root).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NC_EXIT, kernelAddressFor, parseNcArgs } from '../../src/cli/nc.js';
import { synack } from './run.js';

describe('nc: the kernel side of a created device', () => {
  it('takes the first host address of the prefix, or the second when synack has the first', () => {
    assert.equal(kernelAddressFor('10.77.0.2', 24, 4), '10.77.0.1');
    assert.equal(kernelAddressFor('10.77.0.1', 24, 4), '10.77.0.2');
    assert.equal(kernelAddressFor('172.16.5.200', 16, 4), '172.16.0.1');
  });

  it('on a /31 takes the other address (RFC 3021: both are hosts)', () => {
    assert.equal(kernelAddressFor('192.0.2.0', 31, 4), '192.0.2.1');
    assert.equal(kernelAddressFor('192.0.2.1', 31, 4), '192.0.2.0');
  });

  it('has no room on a /32 or /128', () => {
    assert.equal(kernelAddressFor('192.0.2.1', 32, 4), undefined);
    assert.equal(kernelAddressFor('fd77::2', 128, 6), undefined);
  });

  it('IPv6: skips the subnet-router anycast address (RFC 4291 2.6.1)', () => {
    assert.equal(kernelAddressFor('fd77::2', 64, 6), 'fd77::1');
    assert.equal(kernelAddressFor('fd77::1', 64, 6), 'fd77::2');
    assert.equal(kernelAddressFor('2001:db8:1:2:3:4:5:6', 48, 6), '2001:db8:1::1');
  });

  it('IPv6 /127: the other address (RFC 6164: both are hosts)', () => {
    assert.equal(kernelAddressFor('fd77::ffff', 127, 6), 'fd77::fffe');
    assert.equal(kernelAddressFor('fd77::fffe', 127, 6), 'fd77::ffff');
  });
});

describe('nc: flags', () => {
  it('connect: HOST PORT, IPv4 defaults', () => {
    const o = parseNcArgs(['10.77.0.1', '80']);
    assert.notEqual(o, 'help');
    if (o === 'help') return;
    assert.deepEqual(
      { listen: o.listen, host: o.host, port: o.port, tun: o.tun, addr: o.addr, prefix: o.prefix, family: o.family, mtu: o.mtu, pcap: o.pcap, waitMs: o.waitMs },
      { listen: false, host: '10.77.0.1', port: 80, tun: 'synack0', addr: '10.77.0.2', prefix: 24, family: 4, mtu: undefined, pcap: undefined, waitMs: undefined },
    );
    assert.equal(o.offload, false);
    assert.equal(o.gro, false);
  });

  it('--gro implies --offload', () => {
    const a = parseNcArgs(['--offload', '10.77.0.1', '80']);
    const b = parseNcArgs(['--gro', '10.77.0.1', '80']);
    if (a === 'help' || b === 'help') return assert.fail('help');
    assert.deepEqual([a.offload, a.gro, b.offload, b.gro], [true, false, true, true]);
  });

  it("--ecn asks for ECN (TcpConfig.ecn 'on'); without it the engine's default ('passive') stays", () => {
    const on = parseNcArgs(['--ecn', '10.77.0.1', '80']);
    const off = parseNcArgs(['-l', '80']);
    if (on === 'help' || off === 'help') return assert.fail('help');
    assert.equal(on.ecn, true);
    assert.equal(off.ecn, false);
  });

  it('--help documents --ecn', () => {
    const r = synack(['nc', '--help']);
    if (/unknown command/.test(r.stderr)) return;
    assert.equal(r.status, NC_EXIT.OK);
    assert.match(r.stdout, /\n {2}--ecn {14}ask for ECN \(RFC 3168\): the SYN carries ECE and CWR/);
  });

  it('listen with -6, a device, an MTU, a capture and -w', () => {
    const o = parseNcArgs(['-l', '-6', '--tun', 'tun7', '--mtu', '9000', '--pcap', 'x.pcap', '-w', '2.5', '443']);
    if (o === 'help') return assert.fail('help');
    assert.equal(o.listen, true);
    assert.equal(o.host, undefined);
    assert.equal(o.port, 443);
    assert.equal(o.addr, 'fd77::2');
    assert.equal(o.prefix, 64);
    assert.equal(o.family, 6);
    assert.equal(o.tun, 'tun7');
    assert.equal(o.mtu, 9000);
    assert.equal(o.pcap, 'x.pcap');
    assert.equal(o.waitMs, 2500);
  });

  it('--addr sets the family', () => {
    const o = parseNcArgs(['--addr', '2001:db8::5/120', '2001:db8::1', '22']);
    if (o === 'help') return assert.fail('help');
    assert.equal(o.family, 6);
    assert.equal(o.addr, '2001:db8::5');
  });

  for (const [args, why] of [
    [['10.77.0.1'], /HOST and PORT/],
    [['-l'], /one argument, PORT/],
    [['10.77.0.1', '0'], /bad port '0'/],
    [['10.77.0.1', '65536'], /bad port '65536'/],
    [['10.77.0.1', '8o'], /bad port/],
    [['example.com', '80'], /no resolver/],
    [['fd77::1', '80'], /is IPv6 .*\(use -6\)/],
    [['-6', '--addr', '10.0.0.2/24', '10.0.0.1', '80'], /-6 with an IPv4 --addr/],
    [['--addr', '10.0.0.2', '10.0.0.1', '80'], /bad --addr/],
    [['--addr', '10.0.0.2/33', '10.0.0.1', '80'], /bad --addr/],
    [['-6', '--mtu', '1000', 'fd77::1', '80'], /bad --mtu '1000': want 1280/],
    [['--mtu', '70000', '10.77.0.1', '80'], /bad --mtu/],
    [['-w', '0', '10.77.0.1', '80'], /bad -w/],
    [['--tun', 'a/b', '10.77.0.1', '80'], /bad --tun/],
    [['--tun', 'sixteen-bytes-xx', '10.77.0.1', '80'], /bad --tun/],
    [['--frobnicate', '10.77.0.1', '80'], /Unknown option/],
  ] as const) {
    it(`rejects ${JSON.stringify(args)}`, () => {
      assert.throws(() => parseNcArgs(args), (e: Error & { code?: string }) => e.code === 'ERR_SYNACK_USAGE' && why.test(e.message));
    });
  }

  it('a usage error exits 64 with the message and the usage text, and opens nothing', () => {
    const r = synack(['nc', '10.77.0.1', '99999']);
    // Until the lead registers nc in main.ts the command is unknown there (also a usage error).
    assert.equal(r.status, NC_EXIT.USAGE);
    if (/unknown command/.test(r.stderr)) return;
    assert.match(r.stderr, /^synack nc: bad port '99999': want 1 to 65535\nusage: synack nc/);
  });
});
