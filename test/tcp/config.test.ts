/**
 * Configuration resolution: defaults plus overrides, validated (ERR_SYNACK_BAD_CONFIG), frozen, and
 * shared between connections made with the same overrides object unless that object changed.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_TCP_CONFIG, resolveConfig, type TcpConfig } from '../../src/tcp/config.js';
import { SynackError } from '../../src/errors.js';

describe('resolveConfig', () => {
  test('fills in the defaults and freezes the result', () => {
    const c = resolveConfig({ mtu: 9000 });
    assert.equal(c.mtu, 9000);
    assert.equal(c.minRto, DEFAULT_TCP_CONFIG.minRto);
    assert.ok(Object.isFrozen(c));
  });

  test('the same overrides object resolves to the same config; a changed one does not', () => {
    const o: { -readonly [K in keyof TcpConfig]?: TcpConfig[K] } = { minRto: 200 };
    const c1 = resolveConfig(o);
    assert.equal(resolveConfig(o), c1);
    o.minRto = 300;
    const c2 = resolveConfig(o);
    assert.notEqual(c2, c1);
    assert.equal(c2.minRto, 300);
    delete o.minRto;
    assert.equal(resolveConfig(o).minRto, DEFAULT_TCP_CONFIG.minRto);
    assert.equal(resolveConfig({}), resolveConfig());
  });

  test('bad values are refused with a stable code, also for the new fields', () => {
    for (const bad of [{ congestionControl: 'vegas' }, { slowStartAfterIdle: 1 }, { minRto: -1 }] as unknown as Partial<TcpConfig>[]) {
      assert.throws(() => resolveConfig(bad), (e: unknown) => e instanceof SynackError && e.code === 'ERR_SYNACK_BAD_CONFIG');
    }
    assert.equal(resolveConfig({ congestionControl: 'cubic' }).congestionControl, 'cubic');
  });
});
