/**
 * The names of the metrics {@link instrumentRegistry} records, and of their attributes.
 * Every attribute takes values from a fixed, small set: never a session id, a principal
 * key, a device id or an address.
 *
 * @public
 */
export const METRICS = {
  /** Counter of logins, by `session_policy.outcome` (`admitted`, `refused`) and, when refused, `session_policy.refusal` (`limit`, `ended`). */
  logins: 'session_policy.logins',
  /**
   * Counter of sessions ended, by `session_policy.reason` (an end reason) and
   * `session_policy.origin` (`local`: ended by this process; `remote`: learned from
   * another one through the store, so sum `local` alone for fleet totals).
   */
  sessionsEnded: 'session_policy.sessions.ended',
  /** Histogram of per-request check latency in seconds, by `session_policy.status` and `session_policy.source` (`memory`, `store`). */
  checkDuration: 'session_policy.check.duration',
  /** Gauge of sessions admitted by this process and not ended by it (the registry's `stats().active`). */
  sessionsActive: 'session_policy.sessions.active',
  /** Gauge of the revocation bus: 1 up (subscription proven live), 0 down. Reported only by stores with a bus. */
  busUp: 'session_policy.bus.up',
  /** Gauge of live connections (streams, WebSockets, socket.io sockets) open in this process, when a manager is given. */
  liveConnections: 'session_policy.live.connections',
  /** Counter of problems reported through the registry's `error` event, by `error.type` (the error's stable `code`). */
  errors: 'session_policy.errors',
} as const;

/**
 * The attribute keys of {@link METRICS}.
 *
 * @public
 */
export const ATTRIBUTES = {
  /** `admitted` or `refused` (logins). */
  outcome: 'session_policy.outcome',
  /** `limit` (`ERR_SESSION_LIMIT`) or `ended` (`ERR_SESSION_ENDED`) (refused logins). */
  refusal: 'session_policy.refusal',
  /** The end reason (`logout`, `evicted`, `replaced`, `revoked`, `idle`, `absolute`). */
  reason: 'session_policy.reason',
  /** `local` or `remote` (ended sessions). */
  origin: 'session_policy.origin',
  /** The check's status: `active`, `ended`, `unknown`, `invalid`, `unavailable`. */
  status: 'session_policy.status',
  /** `memory` (answered without a promise, `peek`) or `store` (`check`). */
  source: 'session_policy.source',
  /** The registry's name, on every data point, when given (`RegistryMetricsOptions.name`). */
  registry: 'session_policy.registry',
  /** The error's stable code (`ERR_STORE`, `ERR_CORRUPT_RECORD`, …), or `other`. */
  errorType: 'error.type',
} as const;
