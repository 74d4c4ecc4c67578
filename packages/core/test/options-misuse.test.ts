// Registry options: unknown names refused with the closest known one, -1 as unlimited.
import test from 'ava';
import { SessionRegistry } from '@session-policy/core';
import { rejectUnknownOptions } from '@session-policy/core/http';

test('an unknown option name is refused with ERR_INVALID_OPTION naming it and the closest known one', (t) => {
  const error = t.throws(() => new SessionRegistry({ maxSesions: 2 } as never), { code: 'ERR_INVALID_OPTION' });
  t.is((error as { option?: string }).option, 'maxSesions');
  t.regex(error!.message, /"maxSesions".*did you mean "maxSessions"\?/);
  t.throws(() => new SessionRegistry({ idleTimout: 1000 } as never), { message: /did you mean "idleTimeout"/ });
  t.throws(() => new SessionRegistry({ onlimit: 'reject' } as never), { message: /did you mean "onLimit"/ });
  t.throws(() => new SessionRegistry({ onLimti: 'reject' } as never), { message: /did you mean "onLimit"/ });
});

test('a name close to nothing lists the known names instead', (t) => {
  t.throws(() => new SessionRegistry({ banana: true } as never), { code: 'ERR_INVALID_OPTION', message: /no such option \(it takes store, maxSessions, / });
  t.throws(() => rejectUnknownOptions({ zzz: 1 }, ['alpha', 'beta'], 'thing()'), { message: 'Invalid option "zzz": thing() has no such option (it takes alpha, beta)' });
});

test('every known option is accepted (no false refusal)', async (t) => {
  const registry = new SessionRegistry({
    store: undefined,
    maxSessions: 2,
    onLimit: 'evict',
    policy: undefined,
    idleTimeout: 60_000,
    absoluteTimeout: Infinity,
    touchInterval: 1_000,
    tombstoneRetention: 60_000,
    maxTombstones: 4,
    principalKey: {},
    maxSessionIdLength: 128,
    onStoreError: 'fail-closed',
    clock: Date.now,
    sweepInterval: 0,
    sweepBatch: 10,
  });
  t.truthy(registry);
  await registry.close();
});

test('maxSessions: -1 means unlimited (Spring Security spelling), as a number and from a function', async (t) => {
  for (const maxSessions of [-1, () => -1]) {
    const registry = new SessionRegistry({ maxSessions, onLimit: 'reject' });
    for (let i = 0; i < 50; i++) t.true((await registry.admit({ principal: 'alice', sessionId: `s${i}` })).admitted);
    await registry.close();
  }
  t.throws(() => new SessionRegistry({ maxSessions: -2 }), { code: 'ERR_INVALID_OPTION', message: /maxSessions.*Infinity \(or -1\)/ });
  t.throws(() => new SessionRegistry({ maxSessions: 0 }), { code: 'ERR_INVALID_OPTION' });
});
