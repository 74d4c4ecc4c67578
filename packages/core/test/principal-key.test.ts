import test from 'ava';
import { createPrincipalKey, InvalidOptionError } from '@session-policy/core';

test('strings and finite numbers are keys as they are; objects give their id', (t) => {
  const key = createPrincipalKey();
  t.is(key('alice'), 'alice');
  t.is(key(42), '42');
  t.is(key(-0), '0');
  t.is(key({ id: 42, name: 'x' }), '42');
  t.is(key({ id: 'alice' }), 'alice');
  class Member {
    constructor(readonly id: string) {}
  }
  t.is(key(new Member('m-1')), key(new Member('m-1')));
  t.is(key(key({ id: 'kim' })), 'kim');
});

test('anything that does not identify a user is refused with ERR_INVALID_PRINCIPAL', (t) => {
  const key = createPrincipalKey();
  const bad: unknown[] = [undefined, null, NaN, Infinity, -Infinity, '', {}, { id: null }, { id: {} }, () => 'x', Symbol('x'), true, [], 'a\u0000b', 'line\nbreak', 'x'.repeat(257)];
  for (const value of bad) {
    const error = t.throws(() => key(value), undefined, String(value as string));
    t.is((error as { code?: string })?.code, 'ERR_INVALID_PRINCIPAL');
  }
});

test('normalization: trim, lower-case, Unicode NFC, and a length bound', (t) => {
  const email = createPrincipalKey({ trim: true, lowerCase: true, unicode: 'NFC', maxLength: 20 });
  t.is(email('  Alice@Example.COM '), 'alice@example.com');
  t.is(email('Jose\u0301@x.org'), email('José@x.org'));
  t.throws(() => email('   '), { code: 'ERR_INVALID_PRINCIPAL' } as never);
  t.throws(() => email('a'.repeat(21)), { code: 'ERR_INVALID_PRINCIPAL' } as never);
  t.is(email(email('  MiXeD ')), email('  MiXeD '));
});

test('a custom id field or function', (t) => {
  t.is(createPrincipalKey({ from: 'memberNo' })({ memberNo: 7, id: 'ignored' }), '7');
  const byEmail = createPrincipalKey({ from: (u) => (u as { email: string }).email, lowerCase: true });
  t.is(byEmail({ email: 'A@B.C' }), 'a@b.c');
  const throwing = createPrincipalKey({
    from: () => {
      throw new Error('boom');
    },
  });
  t.throws(() => throwing({}), { code: 'ERR_INVALID_PRINCIPAL' } as never);
});

test('options are validated once, naming the option', (t) => {
  const e = t.throws(() => createPrincipalKey({ maxLength: 0 }), { instanceOf: InvalidOptionError });
  t.is(e?.option, 'principalKey.maxLength');
  t.throws(() => createPrincipalKey({ unicode: 'NFX' as never }), { code: 'ERR_INVALID_OPTION' } as never);
  t.throws(() => createPrincipalKey({ from: '' }), { code: 'ERR_INVALID_OPTION' } as never);
});
