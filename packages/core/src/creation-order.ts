import type { SessionInfo } from './session.js';

/**
 * Creation order, for stores that do not keep their records in it: oldest created first,
 * ties broken by session id (code-unit order), so the order is total. The order of a
 * listing (`ListOutcome.sessions`) and of a refusal's holders. A compare function for
 * `Array.prototype.sort`.
 *
 * @param a - a session.
 * @param b - another session.
 *
 * @public
 */
export function byCreation(a: SessionInfo, b: SessionInfo): number {
  return a.createdAt - b.createdAt || (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0);
}
