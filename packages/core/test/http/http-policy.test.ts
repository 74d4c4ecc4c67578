import test from 'ava';
import { SessionRegistry } from '@session-policy/core';
import { HttpPolicy, type HttpPolicyOptions } from '@session-policy/core/http';

test('options are validated up front, naming the option', (t) => {
  const registry = new SessionRegistry();
  t.teardown(() => registry.close());
  const bad: Array<[unknown, string]> = [
    [undefined, 'options'],
    [{}, 'registry'],
    [{ registry: { check() {} } }, 'registry'],
    [{ registry, redirectTo: '//evil.example' }, 'redirectTo'],
    [{ registry, redirectTo: 'javascript:alert(1)' }, 'redirectTo'],
    [{ registry, redirectTo: '/a b' }, 'redirectTo'],
    [{ registry, redirectTo: '/x\r\nset-cookie: a=b' }, 'redirectTo'],
    [{ registry, onEnded: 'nope' }, 'onEnded'],
  ];
  for (const [options, option] of bad) {
    const error = t.throws(() => new HttpPolicy(options as HttpPolicyOptions), { code: 'ERR_INVALID_OPTION' });
    t.is((error as unknown as { option: string }).option, option);
  }
  t.is(new HttpPolicy({ registry }).redirectTo, '/');
  t.is(new HttpPolicy({ registry, redirectTo: 'https://example.com/login' }).redirectTo, 'https://example.com/login');
});
