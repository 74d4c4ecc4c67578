// Options: unknown names refused with the closest known one (the registry's and every
// other options object's), -1 as unlimited.
import test from 'ava';
import Keyv from 'keyv';
import {
  KeyvSessionStore,
  LiveConnections,
  LruKeyvStore,
  SessionRegistry,
  UpgradePolicy,
  createMemoryStore,
  idleFirst,
  sameDeviceFirst,
} from '@session-policy/core';
import { resolveBusOptions } from '@session-policy/core/store';
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

test('every options object of core refuses an unknown name, naming it and the closest known one', async (t) => {
  const refuses = (make: () => unknown, option: string, closest?: string) => {
    const error = t.throws(make, { code: 'ERR_INVALID_OPTION' }, option);
    t.is((error as { option?: string }).option, option);
    if (closest) t.regex(error!.message, new RegExp(`did you mean "${closest}"`));
  };
  refuses(() => new KeyvSessionStore(new Keyv(), { prefx: 'x:' } as never), 'prefx', 'prefix');
  refuses(() => createMemoryStore({ maxPrincipal: 10 } as never), 'maxPrincipal', 'maxPrincipals');
  refuses(() => new LruKeyvStore({ maxx: 10 } as never), 'maxx', 'max');
  refuses(() => new SessionRegistry({ principalKey: { lowercase: true } as never }), 'principalKey.lowercase', 'lowerCase');
  refuses(() => sameDeviceFirst({ than: 'created' } as never), 'than', 'then');
  refuses(() => idleFirst({ idleFr: 1000 } as never), 'idleFr', 'idleFor');
  const registry = new SessionRegistry({ maxSessions: 2 });
  refuses(() => new LiveConnections(registry, { maxPerSesion: 2 } as never), 'maxPerSesion', 'maxPerSession');
  const live = new LiveConnections(registry);
  const connection = { send: () => undefined, close: () => undefined };
  refuses(() => live.attach({ sessionId: 's1', principalKey: 'alice' }, connection, { connectionID: 'tab-1' } as never), 'connectionID', 'connectionId');
  t.is(live.size, 0, 'nothing was attached');
  refuses(() => live.send({ sessionid: 's1' } as never, 'news', {}), 'target');
  refuses(() => live.count({ sessionId: 7 } as never), 'target');
  t.is(live.count({ principalKey: 'alice' }), 0);
  t.is(live.count({ sessionId: 's1', principalKey: 'alice', createdAt: 0 } as never), 0, 'a whole session record is a target');
  await live.close();
  refuses(() => new UpgradePolicy({ registry, binding: () => undefined, bindng: 1 } as never), 'bindng', 'binding');
  refuses(() => resolveBusOptions({ nearCache: { tll: 5 } } as never, 'MyStore'), 'nearCache.tll', 'ttl');
  t.throws(() => resolveBusOptions({ nearCache: { tll: 5 } } as never, 'MyStore'), { message: /MyStore's nearCache has no such option/ });
  // Method options: a misspelt name would otherwise be ignored without a word.
  await t.throwsAsync(registry.admit({ principal: 'alice', sessionId: 's1', device: 'phone' } as never), { code: 'ERR_INVALID_OPTION', message: /"device".*did you mean "deviceId"/ });
  await t.throwsAsync(registry.list('alice', { includeended: true } as never), { code: 'ERR_INVALID_OPTION', message: /"includeended".*"includeEnded"/ });
  await t.throwsAsync(registry.endAll('alice', { expect: 's1' } as never), { code: 'ERR_INVALID_OPTION', message: /"expect".*"except"/ });
  await t.throwsAsync(registry.admit(null as never), { code: 'ERR_INVALID_OPTION' });
  // Options that are no object are refused by the same check, saying what they take.
  await t.throwsAsync(registry.list('alice', 'all' as never), { code: 'ERR_INVALID_OPTION', message: /list\(\) takes an object \(of includeEnded\)/ });
  t.throws(() => new SessionRegistry({ principalKey: 'email' as never }), { code: 'ERR_INVALID_OPTION', message: /"principalKey": SessionRegistry's principalKey takes an object/ });
  // Nothing was admitted by the refused calls.
  t.deepEqual(await registry.list('alice'), []);
  // A store needs its backend: a clear error instead of a TypeError.
  refuses(() => new KeyvSessionStore(undefined as never), 'keyv');
  refuses(() => sameDeviceFirst({ then: 'oldest' } as never), 'then');
  refuses(() => new SessionRegistry({ principalKey: { trim: 'yes' } as never }), 'principalKey.trim');
  // The known names still pass.
  t.truthy(new KeyvSessionStore(new Keyv(), { prefix: 'x:', closeKeyv: false, readSync: () => undefined, name: 'k' }));
  t.truthy(sameDeviceFirst({ then: 'created' }));
  await registry.close();
});
