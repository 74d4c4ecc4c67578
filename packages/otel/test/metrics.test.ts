// The registry's metrics through the real OpenTelemetry SDK (a MeterProvider with the
// SDK's in-memory exporter, flushed on demand), with real registries: the embedded store
// for logins, ends and checks, and two processes' worth of registries on one real
// redis-server for remote ends and the bus's state.
import test from 'ava';
import { metrics as otelMetrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type Histogram,
} from '@opentelemetry/sdk-metrics';
import { LiveConnections, SessionRegistry } from '@session-policy/core';
import { RedisSessionStore } from '@session-policy/redis';
import { ATTRIBUTES, METRICS, instrumentRegistry } from '@session-policy/otel';
import { startRedisServer } from '@session-policy/test-helpers/redis-server';

function sdk() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    meterProvider,
    /** Every data point of one metric, as of now. */
    async points<T = number>(name: string): Promise<Array<DataPoint<T>>> {
      exporter.reset();
      await reader.forceFlush();
      const found = exporter
        .getMetrics()
        .flatMap((r) => r.scopeMetrics)
        .flatMap((s) => s.metrics)
        .filter((m) => m.descriptor.name === name);
      return found.flatMap((m) => m.dataPoints as Array<DataPoint<T>>);
    },
    /** Every attribute value recorded on any metric. */
    async attributeValues(): Promise<unknown[]> {
      exporter.reset();
      await reader.forceFlush();
      return exporter
        .getMetrics()
        .flatMap((r) => r.scopeMetrics)
        .flatMap((s) => s.metrics)
        .flatMap((m) => m.dataPoints as Array<DataPoint<unknown>>)
        .flatMap((p) => Object.values(p.attributes));
    },
    close: () => meterProvider.shutdown(),
  };
}

const value = (points: Array<DataPoint<number>>, attributes: Record<string, string>) =>
  points.find((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v) && Object.keys(p.attributes).length === Object.keys(attributes).length)
    ?.value;

test('logins admitted and refused, sessions ended by reason, active sessions, live connections', async (t) => {
  const otel = sdk();
  const registry = new SessionRegistry({ maxSessions: 1 });
  const strict = new SessionRegistry({ maxSessions: 1, onLimit: 'reject' });
  const live = new LiveConnections(registry);
  const telemetry = instrumentRegistry(registry, { meterProvider: otel.meterProvider, connections: live });
  const strictTelemetry = instrumentRegistry(strict, { meterProvider: otel.meterProvider, name: 'strict' });

  await registry.admit({ principal: 'alice', sessionId: 'session-alice-1' });
  await registry.admit({ principal: 'alice', sessionId: 'session-alice-2' }); // evicts the first
  await registry.admit({ principal: 'bob', sessionId: 'session-bob-1' });
  await registry.end('session-bob-1', 'bob', 'revoked');
  await strict.admit({ principal: 'carol', sessionId: 'session-carol-1' });
  t.false((await strict.admit({ principal: 'carol', sessionId: 'session-carol-2' })).admitted);
  live.attach({ sessionId: 'session-alice-2', principalKey: 'alice' }, { send: () => undefined, close: () => undefined });

  const logins = await otel.points(METRICS.logins);
  t.is(value(logins, { [ATTRIBUTES.outcome]: 'admitted' }), 3);
  t.is(value(logins, { [ATTRIBUTES.registry]: 'strict', [ATTRIBUTES.outcome]: 'admitted' }), 1);
  t.is(value(logins, { [ATTRIBUTES.registry]: 'strict', [ATTRIBUTES.outcome]: 'refused', [ATTRIBUTES.refusal]: 'limit' }), 1);
  const ended = await otel.points(METRICS.sessionsEnded);
  t.is(value(ended, { [ATTRIBUTES.reason]: 'evicted', [ATTRIBUTES.origin]: 'local' }), 1);
  t.is(value(ended, { [ATTRIBUTES.reason]: 'revoked', [ATTRIBUTES.origin]: 'local' }), 1);
  const active = await otel.points(METRICS.sessionsActive);
  t.is(value(active, {}), 1, 'alice');
  t.is(value(active, { [ATTRIBUTES.registry]: 'strict' }), 1, 'carol, in the strict registry');
  t.deepEqual((await otel.points(METRICS.liveConnections)).map((p) => p.value), [1]);
  t.deepEqual(await otel.points(METRICS.busUp), [], 'no bus, no bus gauge');

  const values = await otel.attributeValues();
  for (const secret of ['alice', 'bob', 'carol', 'session-alice-1', 'session-alice-2', 'session-bob-1', 'session-carol-2']) {
    t.false(values.includes(secret), `${secret} is never a label`);
  }
  telemetry.stop();
  strictTelemetry.stop();
  live.close();
  await Promise.all([registry.close(), strict.close(), otel.close()]);
});

test('check latency by outcome: answered from memory (peek) or by the store (check)', async (t) => {
  const otel = sdk();
  const registry = new SessionRegistry({ maxSessions: 2 });
  const telemetry = instrumentRegistry(registry, { meterProvider: otel.meterProvider });
  await registry.admit({ principal: 'alice', sessionId: 'session-a' });
  t.is(registry.peek('session-a', 'alice')?.status, 'active');
  t.is(registry.peekActive('session-a', 'alice')?.sessionId, 'session-a', 'the adapters\' path is timed too');
  t.is(registry.peekActive('never-admitted', 'alice'), undefined, 'not an answer: the caller goes on to peek or check');
  t.is(registry.peekRequest('session-a', 'alice'), registry.peekActive('session-a', 'alice'), 'the HTTP helpers\' path is timed too');
  t.like(registry.peekRequest('never-admitted', 'alice'), { status: 'unknown' });
  t.is((await registry.check('session-a', 'alice')).status, 'active');
  await registry.end('session-a', 'alice');
  t.is((await registry.check('session-a', 'alice')).status, 'ended');
  t.is((await registry.check('never-admitted', 'alice')).status, 'unknown');
  t.is((await registry.check('', 'alice')).status, 'invalid');

  const points = await otel.points<Histogram>(METRICS.checkDuration);
  const count = (status: string, source: string) =>
    points.find((p) => p.attributes[ATTRIBUTES.status] === status && p.attributes[ATTRIBUTES.source] === source)?.value.count ?? 0;
  t.is(count('active', 'memory'), 4);
  t.is(count('unknown', 'memory'), 1);
  t.is(count('active', 'store'), 1);
  t.is(count('ended', 'store'), 1);
  t.is(count('unknown', 'store'), 1);
  t.is(count('invalid', 'store'), 1);
  for (const p of points) {
    t.true(p.value.min !== undefined && p.value.min >= 0);
    t.true(p.value.max !== undefined && p.value.max < 10, 'seconds, not milliseconds');
  }

  // Once stopped, the registry's own methods are back and nothing more is recorded.
  telemetry.stop();
  t.is(Object.hasOwn(registry, 'check'), false);
  t.is(Object.hasOwn(registry, 'peekActive'), false);
  t.is(Object.hasOwn(registry, 'peekRequest'), false);
  await registry.check('session-a', 'alice');
  const after = await otel.points<Histogram>(METRICS.checkDuration);
  t.is(after.find((p) => p.attributes[ATTRIBUTES.status] === 'ended')?.value.count, 1);
  await Promise.all([registry.close(), otel.close()]);
});

test('misuse fails loudly; without an SDK everything is a no-op', async (t) => {
  const registry = new SessionRegistry();
  // No SDK registered: the API's global provider is the no-op one.
  const telemetry = instrumentRegistry(registry);
  t.is(otelMetrics.getMeterProvider().constructor.name, 'NoopMeterProvider');
  t.is(telemetry.meter.constructor.name, 'NoopMeter');
  await registry.admit({ principal: 'alice', sessionId: 'session-1' });
  t.is((await registry.check('session-1', 'alice')).status, 'active');
  t.throws(() => instrumentRegistry(registry), { code: 'ERR_INVALID_OPTION', message: /already instrumented/ });
  telemetry.stop();
  telemetry.stop();
  instrumentRegistry(registry).stop();
  t.throws(() => instrumentRegistry({} as SessionRegistry), { code: 'ERR_INVALID_OPTION' });
  t.throws(() => instrumentRegistry(registry, { busLive: 1 as unknown as () => boolean }), { code: 'ERR_INVALID_OPTION' });
  t.throws(() => instrumentRegistry(registry, { name: 'user 42' }), { code: 'ERR_INVALID_OPTION' });
  t.throws(() => instrumentRegistry(registry, { meterprovider: {} } as never), { code: 'ERR_INVALID_OPTION', message: /"meterprovider".*did you mean "meterProvider"/ });
  await registry.close();
});

test('two processes on one redis-server: a remote end counts with origin "remote"; the bus gauge goes 1, then 0 when Redis stops', async (t) => {
  t.timeout(60_000);
  const redis = await startRedisServer();
  const otel = sdk();
  const prefix = `otel:${Date.now()}:`;
  const options = { prefix, busProbeInterval: 200, commandTimeout: 500 };
  const here = new SessionRegistry({ store: new RedisSessionStore(redis.url, options), maxSessions: 1 });
  const there = new SessionRegistry({ store: new RedisSessionStore(redis.url, options), maxSessions: 1 });
  here.on('error', () => undefined);
  const telemetry = instrumentRegistry(here, { meterProvider: otel.meterProvider });
  try {
    const until = async (what: string, condition: () => Promise<boolean>) => {
      const deadline = Date.now() + 20_000;
      while (!(await condition())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    await until('the bus is up', async () => (await otel.points(METRICS.busUp))[0]?.value === 1);
    await here.admit({ principal: 'alice', sessionId: 'session-here' });
    await there.admit({ principal: 'alice', sessionId: 'session-there' }); // evicts the session admitted here
    await until('the remote end is counted', async () => value(await otel.points(METRICS.sessionsEnded), { [ATTRIBUTES.reason]: 'evicted', [ATTRIBUTES.origin]: 'remote' }) === 1);
    t.pass('remote eviction counted');
    await redis.stop();
    await until('the bus is down', async () => (await otel.points(METRICS.busUp))[0]?.value === 0);
    t.pass('bus down reported');
  } finally {
    telemetry.stop();
    await Promise.allSettled([here.close(), there.close(), otel.close()]);
    await redis.stop();
  }
});
