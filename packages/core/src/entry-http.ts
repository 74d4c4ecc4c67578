/**
 * The toolkit for writing a framework adapter (`@session-policy/core/http`):
 * {@link HttpPolicy} and the per-request {@link RequestPolicy}, the
 * {@link SessionBinding} an adapter implements to say where the session data lives,
 * {@link RequestInfo}, the framework-neutral answers, the session marker helpers,
 * content negotiation and the live event-stream helpers.
 *
 * @module http
 * @packageDocumentation
 */
export { rejectUnknownOptions } from './unknown-options.js';
export {
  openEventStream,
  checkStreamRouteOptions,
  sendSessionEnded,
  sessionEndedStreamAnswer,
  acceptsEventStream,
  type EventStreamOptions,
} from './live/event-stream.js';
export type { SessionBinding } from './http/session-binding.js';
export { SESSION_MARKER, readMarker, markerKey, markerId, markerValue, newSessionId, type SessionMarker } from './http/session-marker.js';
export { RequestGate, type RequestGateOptions, type RequestParts } from './http/request-gate.js';
export { MarkerSessionBinding } from './http/marker-session-binding.js';
export { ConnectSessionBinding, type ConnectSession, type ConnectSessionRequest } from './http/connect-session-binding.js';
export { HeaderRequestInfo, type RequestAccess } from './http/header-request-info.js';
export { SchemeBinding, type SessionScheme } from './http/scheme-binding.js';
export { ownedPolicy, type OwnedPolicyOptions } from './http/owned-policy.js';
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
