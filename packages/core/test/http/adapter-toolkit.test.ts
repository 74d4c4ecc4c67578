// The pieces the adapters share (@session-policy/core/http): request details read from
// headers, a scheme the application reads itself, a plugin's owned registry, the
// express-session binding.
import test from 'ava';
import { InvalidOptionError, SessionRegistry, createMemoryStore } from '@session-policy/core';
import { ConnectSessionBinding, HeaderRequestInfo, SESSION_MARKER, SchemeBinding, ownedPolicy } from '@session-policy/core/http';

test('HeaderRequestInfo reads string headers only, and asks for the address only when read', (t) => {
  let asked = 0;
  const info = new HeaderRequestInfo(undefined, { accept: 'text/html', 'user-agent': ['a', 'b'] }, { ip: () => `10.0.0.${++asked}`, raw: () => undefined });
  t.is(info.accept, 'text/html');
  t.is(info.userAgent, undefined, 'not a string: absent');
  t.is(info.contentType, undefined);
  t.is(asked, 0);
  t.is(info.ip, '10.0.0.1');
});

test('SchemeBinding.validate: functions, given together; the binding reads through them', async (t) => {
  t.false(SchemeBinding.validate({}));
  t.true(SchemeBinding.validate({ getSessionId: () => 'a', getPrincipalKey: () => 'u' }));
  t.like(t.throws(() => SchemeBinding.validate({ getSessionId: () => 'a' })), { code: 'ERR_INVALID_OPTION', option: 'getPrincipalKey' });
  t.like(t.throws(() => SchemeBinding.validate({ getPrincipalKey: () => 'u' })), { code: 'ERR_INVALID_OPTION', option: 'getSessionId' });
  t.like(t.throws(() => SchemeBinding.validate({ destroySession: 'no' as never })), { code: 'ERR_INVALID_OPTION', option: 'destroySession' });
  const destroyed: string[] = [];
  const binding = new SchemeBinding({ jti: 'a', sub: 'u' }, 'res', {
    getSessionId: (r) => r.jti,
    getPrincipalKey: (r) => r.sub,
    destroySession: (r, res) => void destroyed.push(`${r.jti} ${res}`),
  });
  t.is(binding.id(), 'a');
  t.is(binding.principalKey(), 'u');
  await binding.destroy();
  t.deepEqual(destroyed, ['a res']);
});

test('ownedPolicy: a registry made from options is owned, and closed again when the options are refused', async (t) => {
  const given = new SessionRegistry({ maxSessions: 2 });
  const mine = ownedPolicy({ registry: given }, () => 'checked');
  t.like(mine, { owned: false, checked: 'checked' });
  t.is(mine.policy.registry, given);
  let closed = 0;
  const store = createMemoryStore();
  const counting = new Proxy(store, {
    get(target, key) {
      if (key === 'close') return () => (closed++, target.close());
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const error = t.throws(() => ownedPolicy({ registry: { store: counting }, redirectTo: 'nowhere' }, () => undefined));
  t.true(error instanceof InvalidOptionError, String(error));
  for (let i = 0; i < 200 && closed === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  t.is(closed, 1, 'the registry it made is closed');
  let validated = false;
  t.like(t.throws(() => ownedPolicy({ registry: null as never }, () => (validated = true))), { option: 'registry' });
  t.false(validated, "the registry's shape first, then the plugin's own checks");
  const owned = ownedPolicy({ registry: { maxSessions: 2 } }, () => undefined);
  t.true(owned.owned);
  await Promise.all([given.close(), owned.policy.registry.close()]);
});

test('ConnectSessionBinding: express-session\'s id and marker; regenerate replaces req.session; no session, nothing to destroy', async (t) => {
  const req: { session?: Record<string, unknown> & { regenerate(cb: () => void): void; destroy(cb: () => void): void }; sessionID?: string } = {};
  const binding = new ConnectSessionBinding(req);
  t.is(binding.id(), undefined);
  await binding.destroy();
  t.throws(() => binding.setPrincipalKey('u'), { code: 'ERR_INVALID_OPTION' });
  const session = (id: string) => ({
    regenerate(cb: () => void) {
      req.session = session(`${id}+`);
      req.sessionID = `${id}+`;
      cb();
    },
    destroy(cb: () => void) {
      delete req.session;
      cb();
    },
  });
  req.session = session('s1');
  req.sessionID = 's1';
  binding.setPrincipalKey('u');
  t.is(req.session[SESSION_MARKER], 'u');
  t.is(binding.principalKey(), 'u');
  await binding.regenerate();
  t.is(binding.id(), 's1+');
  t.is(binding.principalKey(), undefined, 'a fresh session');
  await binding.destroy();
  t.is(binding.id(), undefined);
});
