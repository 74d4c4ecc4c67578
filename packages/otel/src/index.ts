/**
 * OpenTelemetry metrics for a session registry, through `@opentelemetry/api` alone (a
 * peer dependency; no SDK dependency, a no-op until the app registers one): logins
 * admitted and refused, sessions ended by reason, check latency by outcome, active
 * sessions, the revocation bus's state, live connections.
 *
 * @packageDocumentation
 */
export { ATTRIBUTES, METRICS } from './metric-names.js';
export { instrumentRegistry, type RegistryMetrics, type RegistryMetricsOptions } from './instrument-registry.js';
