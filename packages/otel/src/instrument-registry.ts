import { performance } from 'node:perf_hooks';
import { metrics, type Attributes, type BatchObservableCallback, type Meter, type MeterProvider } from '@opentelemetry/api';
import {
  END_REASONS,
  InvalidOptionError,
  LiveConnections,
  SessionPolicyError,
  SessionRegistry,
  type CheckResult,
  type EndOrigin,
  type RegistryEvents,
  type SessionInfo,
  rejectUnknownOptions,
} from '@session-policy/core';
import { ATTRIBUTES, METRICS } from './metric-names.js';

/**
 * Options of {@link instrumentRegistry}. Validated once, at the call.
 *
 * @public
 */
export interface RegistryMetricsOptions {
  /**
   * Where the meter comes from. Default: the global provider of `@opentelemetry/api`
   * (a no-op until the app registers an SDK, so instrumenting costs next to nothing
   * without one).
   */
  readonly meterProvider?: MeterProvider;
  /** Live connections to report the open count of ({@link METRICS}`.liveConnections`). */
  readonly connections?: LiveConnections;
  /**
   * The revocation bus's state: `true` up, `false` down, `undefined` no bus. Default: the
   * store's `busLive` property (the Redis store has one), if any.
   */
  readonly busLive?: () => boolean | undefined;
  /**
   * A name for this registry, added to every data point as `session_policy.registry`, for
   * a process that runs more than one (their gauges would otherwise be one series). At
   * most 64 letters, digits or `_ - .`. Default: no such attribute.
   */
  readonly name?: string;
}

const OPTION_NAMES = Object.keys({ meterProvider: true, connections: true, busLive: true, name: true } satisfies Record<keyof RegistryMetricsOptions, true>);

/**
 * What {@link instrumentRegistry} returns.
 *
 * @public
 */
export interface RegistryMetrics {
  /** The meter in use (`@session-policy/otel`). */
  readonly meter: Meter;
  /** Stops recording: removes the listeners, the check wrappers and the gauges' callback. Idempotent. */
  stop(): void;
}

const SCOPE = '@session-policy/otel';
const VERSION = '0.1.0';
/** Check latencies run from a microsecond (memory) to a store's timeout: buckets in seconds. */
const BUCKETS = [0.000_005, 0.000_01, 0.000_05, 0.000_1, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const REASONS = new Set<string>(END_REASONS);
// A record over the status type: a status added to CheckResult fails to compile here
// until it is listed (an unlisted one would be recorded with no attributes).
const CHECK_STATUSES = Object.keys({ active: true, ended: true, unknown: true, invalid: true, unavailable: true } satisfies Record<CheckResult['status'], true>) as Array<CheckResult['status']>;
const instrumented = new WeakSet<SessionRegistry>();

/**
 * Records a registry's metrics through `@opentelemetry/api` alone (see {@link METRICS}
 * for the names and attributes): logins admitted and refused, sessions ended by reason
 * and origin, check latency by outcome, active sessions, the bus's state, live
 * connections, reported problems. It works from outside the registry: its events, and a
 * thin timing wrapper around this instance's `check`, `peek` and `peekActive` (and the
 * adapters' in-memory check). Attributes are bounded:
 * no session id, principal key or address is ever a label.
 *
 * With no SDK registered, the API's no-op meter makes all of it free. Instrument a
 * registry once (`ERR_INVALID_OPTION` otherwise, until {@link RegistryMetrics.stop}).
 *
 * @example
 * ```ts
 * const registry = new SessionRegistry({ store, maxSessions: 2 });
 * const live = new LiveConnections(registry);
 * const telemetry = instrumentRegistry(registry, { connections: live });
 * // on shutdown: telemetry.stop();
 * ```
 * @param registry - the registry to observe.
 * @param options - see {@link RegistryMetricsOptions}.
 * @public
 */
export function instrumentRegistry(registry: SessionRegistry, options: RegistryMetricsOptions = {}): RegistryMetrics {
  if (!(registry instanceof SessionRegistry)) throw new InvalidOptionError('registry', 'must be a SessionRegistry');
  rejectUnknownOptions(options, OPTION_NAMES, 'instrumentRegistry()');
  if (instrumented.has(registry)) throw new InvalidOptionError('registry', 'is already instrumented (call stop() on the first RegistryMetrics)');
  if (options.connections !== undefined && !(options.connections instanceof LiveConnections)) {
    throw new InvalidOptionError('connections', 'must be a LiveConnections');
  }
  if (options.busLive !== undefined && typeof options.busLive !== 'function') throw new InvalidOptionError('busLive', 'must be a function');
  if (options.name !== undefined && (typeof options.name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(options.name))) {
    throw new InvalidOptionError('name', 'must be 1 to 64 letters, digits or _ - .');
  }
  const base: Attributes = options.name === undefined ? {} : { [ATTRIBUTES.registry]: options.name };
  const provider = options.meterProvider ?? metrics.getMeterProvider();
  if (!provider || typeof provider.getMeter !== 'function') throw new InvalidOptionError('meterProvider', 'must be an OpenTelemetry MeterProvider');
  const meter = provider.getMeter(SCOPE, VERSION);

  const logins = meter.createCounter(METRICS.logins, { description: 'Logins, admitted or refused', unit: '{login}' });
  const ended = meter.createCounter(METRICS.sessionsEnded, { description: 'Sessions ended, by reason and origin', unit: '{session}' });
  const errors = meter.createCounter(METRICS.errors, { description: 'Problems reported by the registry', unit: '{error}' });
  const checkDuration = meter.createHistogram(METRICS.checkDuration, {
    description: 'Per-request session check latency, by outcome',
    unit: 's',
    advice: { explicitBucketBoundaries: BUCKETS },
  });
  const active = meter.createObservableGauge(METRICS.sessionsActive, { description: 'Sessions admitted by this process and not ended by it', unit: '{session}' });
  const bus = meter.createObservableGauge(METRICS.busUp, { description: 'Revocation bus: 1 up, 0 down', unit: '1' });
  const open = meter.createObservableGauge(METRICS.liveConnections, { description: 'Live connections open in this process', unit: '{connection}' });

  const store = registry.store as { readonly busLive?: unknown };
  const busLive = options.busLive ?? (() => (typeof store.busLive === 'boolean' ? store.busLive : undefined));
  const connections = options.connections;
  const observe: BatchObservableCallback = (result) => {
    result.observe(active, registry.stats().active, base);
    const live = busLive();
    if (live !== undefined) result.observe(bus, live ? 1 : 0, base);
    if (connections) result.observe(open, connections.size, base);
  };
  meter.addBatchObservableCallback(observe, [active, bus, open]);

  const onAdmitted = (): void => logins.add(1, { ...base, [ATTRIBUTES.outcome]: 'admitted' });
  const onRejected = (refusal: RegistryEvents['rejected'][0]): void =>
    logins.add(1, { ...base, [ATTRIBUTES.outcome]: 'refused', [ATTRIBUTES.refusal]: refusal.code === 'ERR_SESSION_ENDED' ? 'ended' : 'limit' });
  const onEnded = (session: SessionInfo, origin: EndOrigin): void => {
    const reason = session.endReason !== undefined && REASONS.has(session.endReason) ? session.endReason : 'other';
    ended.add(1, { ...base, [ATTRIBUTES.reason]: reason, [ATTRIBUTES.origin]: origin === 'remote' ? 'remote' : 'local' });
  };
  const onError = (error: Error): void => {
    const code = error instanceof SessionPolicyError ? error.code : 'other';
    errors.add(1, { ...base, [ATTRIBUTES.errorType]: code });
  };
  registry.on('admitted', onAdmitted);
  registry.on('rejected', onRejected);
  registry.on('ended', onEnded);
  registry.on('error', onError);

  // Timing wrappers on this instance only (own properties shadowing the prototype's).
  const target = registry as {
    check: SessionRegistry['check'];
    peek: SessionRegistry['peek'];
    peekActive: SessionRegistry['peekActive'];
    peekRequest: SessionRegistry['peekRequest'];
  };
  const check = registry.check;
  const peek = registry.peek;
  const peekActive = registry.peekActive;
  const peekRequest = registry.peekRequest;
  // The attributes of each outcome, made once and frozen: a check's timing allocates none.
  const outcomeAttributes = (source: 'memory' | 'store'): Record<CheckResult['status'], Attributes> => {
    const byStatus = {} as Record<CheckResult['status'], Attributes>;
    for (const status of CHECK_STATUSES) byStatus[status] = Object.freeze({ ...base, [ATTRIBUTES.status]: status, [ATTRIBUTES.source]: source });
    return byStatus;
  };
  const fromMemory = outcomeAttributes('memory');
  const fromStore = outcomeAttributes('store');
  const activeFromMemory = fromMemory.active;
  target.check = async function timedCheck(this: SessionRegistry, sessionId: unknown, principal: unknown): Promise<CheckResult> {
    const started = performance.now();
    const result = await check.call(this, sessionId, principal);
    checkDuration.record((performance.now() - started) / 1000, fromStore[result.status]);
    return result;
  };
  target.peek = function timedPeek(this: SessionRegistry, sessionId: unknown, principal: unknown): CheckResult | undefined {
    const started = performance.now();
    const result = peek.call(this, sessionId, principal);
    if (result) checkDuration.record((performance.now() - started) / 1000, fromMemory[result.status]);
    return result;
  };
  // The adapters' path: one in-memory check, the session itself when active.
  target.peekRequest = function timedPeekRequest(this: SessionRegistry, sessionId: unknown, principal: unknown): ReturnType<SessionRegistry['peekRequest']> {
    const started = performance.now();
    const peeked = peekRequest.call(this, sessionId, principal);
    if (peeked !== undefined) checkDuration.record((performance.now() - started) / 1000, 'status' in peeked ? fromMemory[peeked.status] : activeFromMemory);
    return peeked;
  };
  // Only its `active` answers are the registry's (anything else goes on to peek or check).
  target.peekActive = function timedPeekActive(this: SessionRegistry, sessionId: unknown, principal: unknown): SessionInfo | undefined {
    const started = performance.now();
    const session = peekActive.call(this, sessionId, principal);
    if (session) checkDuration.record((performance.now() - started) / 1000, activeFromMemory);
    return session;
  };
  instrumented.add(registry);

  let stopped = false;
  return {
    meter,
    stop() {
      if (stopped) return;
      stopped = true;
      registry.off('admitted', onAdmitted);
      registry.off('rejected', onRejected);
      registry.off('ended', onEnded);
      registry.off('error', onError);
      meter.removeBatchObservableCallback(observe, [active, bus, open]);
      delete (target as Partial<typeof target>).check;
      delete (target as Partial<typeof target>).peek;
      delete (target as Partial<typeof target>).peekActive;
      delete (target as Partial<typeof target>).peekRequest;
      instrumented.delete(registry);
    },
  };
}
