import type { SessionInfo } from '../session.js';

/** R9: least recently seen first; ties broken by creation, then by id, so order is total. */
export function byLastSeen(a: SessionInfo, b: SessionInfo): number {
  return a.lastSeenAt - b.lastSeenAt || a.createdAt - b.createdAt || compareIds(a, b);
}

/** R9: oldest created first; ties broken by last seen, then by id. */
export function byCreated(a: SessionInfo, b: SessionInfo): number {
  return a.createdAt - b.createdAt || a.lastSeenAt - b.lastSeenAt || compareIds(a, b);
}

function compareIds(a: SessionInfo, b: SessionInfo): number {
  return a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0;
}
