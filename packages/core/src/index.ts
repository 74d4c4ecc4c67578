/**
 * The framework-free session policy engine, for applications: the session registry,
 * principal keys, concurrency control (limits, eviction policies, reject mode), idle and
 * absolute timeouts, the embedded and Keyv-backed stores, live connections and the errors
 * an application catches.
 *
 * Store authors find their toolkit in `@session-policy/core/store`; framework adapter
 * authors find theirs in `@session-policy/core/http`.
 *
 * @packageDocumentation
 */
export {
  SessionPolicyError,
  InvalidPrincipalError,
  InvalidSessionIdError,
  InvalidOptionError,
  StoreError,
  CorruptRecordError,
  ClosedError,
  MisconfiguredError,
  type ErrorCode,
} from './errors.js';
export { rejectUnknownOptions } from './unknown-options.js';
export { PENDING_ENDS_MAX, PENDING_ENDS_RETRY, type DroppedReason, type PendingEnd } from './pending-ends.js';
export { END_REASONS, type EndReason, type NewSession, type SessionInfo } from './session.js';
export { createPrincipalKey, type PrincipalKeyFunction, type PrincipalKeyOptions } from './principal-key.js';
export type { EvictionContext, EvictionPolicy, PolicyDescriptor } from './eviction-policy.js';
export { leastRecentlySeen } from './policies/least-recently-seen.js';
export { oldestCreated } from './policies/oldest-created.js';
export { sameDeviceFirst, type SameDeviceFirstOptions } from './policies/same-device-first.js';
export { idleFirst, type IdleFirstOptions } from './policies/idle-first.js';
export type { SessionStore } from './store.js';
export { LruKeyvStore, type LruKeyvStoreOptions } from './lru-keyv-store.js';
export { KeyvSessionStore, type KeyvSessionStoreOptions } from './keyv-store.js';
export { createMemoryStore, type MemoryStoreOptions } from './memory-store.js';
export { type MaxSessions, type SessionRegistryOptions } from './options.js';
export {
  SessionRegistry,
  type AdmitResult,
  type CheckResult,
  type EndAllOptions,
  type EndOrigin,
  type ListOptions,
  type RegistryEvents,
  type RegistryStats,
} from './registry.js';
export { ConnectionLimitError, type ConnectionLimitScope } from './live/connection-limit-error.js';
export {
  SESSION_ENDED_EVENT,
  STREAM_CLOSED_EVENT,
  type AttachOptions,
  type LiveConnection,
  type LiveEndReason,
  type LiveHandle,
  type StreamCloseReason,
} from './live/live-connection.js';
export {
  LiveConnections,
  type LiveConnectionsOptions,
  type LiveConnectionsStats,
  type LiveSessionKey,
  type LiveTarget,
} from './live/live-connections.js';
export {
  UpgradePolicy,
  refuseUpgrade,
  requestConnectionId,
  sessionMiddlewareBinding,
  type ConnectMiddleware,
  type UpgradeBinding,
  type UpgradePolicyOptions,
  type UpgradeVerdict,
} from './live/upgrade-policy.js';
export { toSessionView, type SessionView } from './http/session-view.js';
