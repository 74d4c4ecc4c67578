/**
 * The toolkit for writing a session store (`@session-policy/core/store`): the store's
 * request and outcome types, the pure planning functions that implement the storage rules
 * once (admission, ending, touching, refreshing a principal's sessions), record parsing,
 * timeout arithmetic, {@link RecordSessionStore} over a {@link RecordSpace},
 * {@link toStoreError} for wrapping backend failures, {@link StoreListeners} for `watch`
 * and `onError`, {@link byCreation} for listings, and the pieces of the stores shared by
 * many processes: their option validation ({@link positiveOption},
 * {@link resolveBusOptions}), the {@link NearCache}, and the liveness of their revocation
 * bus ({@link BusLiveness}).
 *
 * The `SessionStore` interface itself, and the errors, come from
 * `@session-policy/core`. Run a store through `@session-policy/store-test-suite`.
 *
 * @module store
 * @packageDocumentation
 */
export { toStoreError } from './errors.js';
export { endedSession } from './session.js';
export { expiresAt, expiryReason, forgetAt, type Timeouts } from './timeouts.js';
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
export { RecordSessionStore } from './record-store.js';
export type { RecordSpace } from './record-space.js';
export { positiveOption } from './positive-option.js';
export { NearCache, type ActiveOutcome } from './near-cache.js';
export { StoreListeners } from './store-listeners.js';
export { byCreation } from './creation-order.js';
export { BusLiveness, type BusReports } from './bus-liveness.js';
export { resolveBusOptions, type BusOptionsInput, type NearCacheSettings, type ResolvedBusOptions } from './bus-options.js';
