import test from 'ava';
import { InvalidOptionError } from '@session-policy/core';
import { positiveOption, resolveBusOptions } from '@session-policy/core/store';

test('defaults: the bus on, the near cache on with it (1 s, 10 000 entries)', (t) => {
  t.deepEqual(resolveBusOptions({}), { bus: true, nearCache: { ttl: 1000, max: 10_000 } });
  t.deepEqual(resolveBusOptions({ nearCache: { ttl: 50 } }), { bus: true, nearCache: { ttl: 50, max: 10_000 } });
  t.deepEqual(resolveBusOptions({ nearCache: false }), { bus: true, nearCache: undefined });
  t.deepEqual(resolveBusOptions({ bus: false }), { bus: false, nearCache: undefined });
  t.deepEqual(resolveBusOptions({ bus: false, nearCache: false }), { bus: false, nearCache: undefined });
});

test('refused with ERR_INVALID_OPTION naming the option', (t) => {
  const cases: Array<[unknown, string]> = [
    [{ bus: 'yes' }, 'bus'],
    [{ bus: false, nearCache: { ttl: 5 } }, 'nearCache'],
    [{ nearCache: 5 }, 'nearCache'],
    [{ nearCache: { ttl: 0 } }, 'nearCache.ttl'],
    [{ nearCache: { max: 1.5 } }, 'nearCache.max'],
  ];
  for (const [options, option] of cases) {
    const error = t.throws(() => resolveBusOptions(options as never), { instanceOf: InvalidOptionError });
    t.is(error?.code, 'ERR_INVALID_OPTION');
    t.is(error?.option, option, JSON.stringify(options));
  }
});

test('positiveOption: the default for undefined, a finite number > 0 (an integer when asked) otherwise', (t) => {
  t.is(positiveOption(undefined, 7, 'x', true), 7);
  t.is(positiveOption(0.5, 7, 'x', false), 0.5);
  for (const [value, integer] of [[0, false], [-1, false], [Infinity, false], [Number.NaN, false], ['1', false], [0.5, true]] as const) {
    t.is(t.throws(() => positiveOption(value, 7, 'x', integer), { instanceOf: InvalidOptionError })?.option, 'x');
  }
});
