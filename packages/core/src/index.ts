/**
 * The framework-free session policy engine: principal keys, the session registry,
 * concurrency control (limits, eviction policies, reject mode), idle and absolute
 * timeouts, and storage through Keyv.
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
  toStoreError,
  type ErrorCode,
} from './errors.js';
export { END_REASONS, endedSession, type EndReason, type NewSession, type SessionInfo } from './session.js';
export { expiresAt, expiryReason, forgetAt, type Timeouts } from './timeouts.js';
export { createPrincipalKey, type PrincipalKeyFunction, type PrincipalKeyOptions } from './principal-key.js';
export { assertSessionId } from './session-id.js';
export type { EvictionContext, EvictionPolicy, PolicyDescriptor } from './eviction-policy.js';
export { leastRecentlySeen } from './policies/least-recently-seen.js';
export { oldestCreated } from './policies/oldest-created.js';
export { sameDeviceFirst, type SameDeviceFirstOptions } from './policies/same-device-first.js';
export { idleFirst, type IdleFirstOptions } from './policies/idle-first.js';
export type {
  AdmitAccepted,
  AdmitOutcome,
  AdmitRefused,
  AdmitRequest,
  CheckOutcome,
  CheckRequest,
  EndAllRequest,
  EndOutcome,
  EndRequest,
  ListOutcome,
  ListRequest,
  SessionStore,
  SweepOutcome,
  SweepRequest,
  TouchContext,
  TouchRequest,
} from './store.js';
export {
  planAdmission,
  planEnd,
  planTouch,
  refresh,
  trimTombstones,
  nextDeadline,
  lastForget,
  type AdmissionPlan,
  type EndPlan,
  type TouchPlan,
  type Refreshed,
} from './principal-sessions.js';
export { parseSessionRecord } from './session-record.js';
export { KeyedMutex } from './keyed-mutex.js';
export { DeadlineQueue } from './deadline-queue.js';
export { LruKeyvStore, type LruKeyvStoreOptions } from './lru-keyv-store.js';
export { KeyvSessionStore, type KeyvSessionStoreOptions } from './keyv-store.js';
export { RecordSessionStore } from './record-store.js';
export type { RecordSpace } from './record-space.js';
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
  openEventStream,
  sendSessionEnded,
  sessionEndedStreamAnswer,
  acceptsEventStream,
  formatServerSentEvent,
  type EventStreamOptions,
} from './live/event-stream.js';
export type { SessionBinding } from './http/session-binding.js';
export { SESSION_MARKER, readMarker, markerKey, markerId, newSessionId, type SessionMarker } from './http/session-marker.js';
export { RequestGate, type RequestGateOptions, type RequestParts } from './http/request-gate.js';
export { sessionHandle, isSessionHandle } from './http/session-handle.js';
export { toSessionView, type SessionView } from './http/session-view.js';
export { prefersHtml } from './http/negotiation.js';
export { endedAnswer, noSessionAnswer, storeUnavailableAnswer, type EndedReason, type HttpAnswer } from './http/answers.js';
export type { RequestInfo } from './http/request-info.js';
export { HttpPolicy, type EndedSession, type HttpPolicyOptions } from './http/http-policy.js';
export {
  RequestPolicy,
  type LoginOptions,
  type LoginResult,
  type LogoutEverywhereOptions,
} from './http/request-policy.js';
