/**
 * The socket API's error classes (src/stack/errors.ts) against Node's own: each class carries the
 * errno name Node uses as `code`, the negative Linux errno Node reports (os.constants.errno, and
 * libuv's UV_EAI_NONAME for ENOTFOUND), and a message in the format of a real Node socket error
 * ("connect ECONNREFUSED 127.0.0.1:PORT", taken from an actual refused connection). Every class is
 * its own class (instanceof, constructor name) under SocketError, SynackError and Error.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect } from 'node:net';
import { constants } from 'node:os';
import { getSystemErrorName } from 'node:util';
import { SynackError } from '../../src/errors.js';
import {
  AddressInUseError,
  AddressNotAvailableError,
  BrokenPipeError,
  ConnectionRefusedError,
  ConnectionResetError,
  HostNotFoundError,
  NetworkUnreachableError,
  SocketError,
  TimedOutError,
  type SocketErrorCode,
  type SocketErrorDetails,
} from '../../src/stack/errors.js';

type Ctor = new (d: SocketErrorDetails) => SocketError;

const CLASSES: readonly [Ctor, string, SocketErrorCode][] = [
  [ConnectionRefusedError, 'ConnectionRefusedError', 'ECONNREFUSED'],
  [ConnectionResetError, 'ConnectionResetError', 'ECONNRESET'],
  [TimedOutError, 'TimedOutError', 'ETIMEDOUT'],
  [AddressInUseError, 'AddressInUseError', 'EADDRINUSE'],
  [AddressNotAvailableError, 'AddressNotAvailableError', 'EADDRNOTAVAIL'],
  [NetworkUnreachableError, 'NetworkUnreachableError', 'ENETUNREACH'],
  [BrokenPipeError, 'BrokenPipeError', 'EPIPE'],
  [HostNotFoundError, 'HostNotFoundError', 'ENOTFOUND'],
];

/** Node's errno for a code: the OS's for system errors; getaddrinfo's EAI_NONAME (libuv -3008) for ENOTFOUND. */
function nodeErrno(code: SocketErrorCode): number {
  if (code === 'ENOTFOUND') return -3008;
  const n = (constants.errno as Record<string, number | undefined>)[code];
  assert.ok(n !== undefined, code);
  return -n;
}

/** A real refused connection on the loopback: Node's own error object. */
async function nodeRefused(): Promise<NodeJS.ErrnoException & { address?: string; port?: number }> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    s.on('connect', () => reject(new Error('the closed port accepted')));
    s.on('error', resolve);
  });
}

describe('socket errors', () => {
  for (const [Cls, name, code] of CLASSES) {
    test(`${name}: code ${code}, Node's errno, its own class under SocketError`, () => {
      const e = new Cls({ syscall: 'connect', address: '10.0.0.2', port: 80 });
      assert.equal(e.code, code);
      assert.equal(e.errno, nodeErrno(code));
      assert.equal(getSystemErrorName(e.errno), code === 'ENOTFOUND' ? 'EAI_NONAME' : code);
      assert.equal(e.name, name);
      assert.equal(Cls.name, name);
      assert.equal(e.constructor, Cls);
      assert.equal(e.message, `connect ${code} 10.0.0.2:80`);
      assert.equal(String(e), `${name}: connect ${code} 10.0.0.2:80`);
      assert.ok(e instanceof Cls && e instanceof SocketError && e instanceof SynackError && e instanceof Error);
      for (const [Other] of CLASSES) if (Other !== Cls) assert.ok(!(e instanceof Other), `${name} is not a ${Other.name}`);
      assert.deepEqual(Object.keys(e), ['code', 'name', 'errno', 'syscall', 'address', 'port']);
    });
  }

  test('messages: address and port only when known, detail in parentheses', () => {
    assert.equal(new BrokenPipeError({ syscall: 'write' }).message, 'write EPIPE');
    assert.equal(new AddressInUseError({ syscall: 'listen', address: '::' }).message, 'listen EADDRINUSE ::');
    assert.equal(new TimedOutError({ syscall: 'read', address: 'fd00::2', port: 443, detail: 'user timeout' }).message, 'read ETIMEDOUT fd00::2:443 (user timeout)');
    const plain = new SocketError('ECONNABORTED', { syscall: 'accept' });
    assert.equal(plain.name, 'SocketError');
    assert.equal(plain.errno, nodeErrno('ECONNABORTED'));
  });

  test("the same fields and message as Node's own ECONNREFUSED", async () => {
    const real = await nodeRefused();
    const ours = new ConnectionRefusedError({ syscall: 'connect', address: real.address ?? '', port: real.port ?? 0 });
    assert.equal(real.code, ours.code);
    assert.equal(real.errno, ours.errno);
    assert.equal(real.syscall, ours.syscall);
    assert.equal(real.message, ours.message);
  });
});
