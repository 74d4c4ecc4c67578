import type { SessionInfo } from './session.js';

/**
 * What a policy sees when a principal logs in.
 *
 * @public
 */
export interface EvictionContext {
  /** The session being admitted. */
  readonly candidate: SessionInfo;
  /** The principal's live sessions (active and not expired), without the candidate. */
  readonly active: readonly SessionInfo[];
  /** The principal's session limit. */
  readonly limit: number;
  /** The current time. */
  readonly now: number;
}

/**
 * A declarative form of a built-in policy, so that stores which admit on the server
 * (the Redis store runs admission in one Lua script) can run the same rule there. Custom
 * policies leave it out; such stores then run {@link EvictionPolicy.rank} in JavaScript.
 *
 * @public
 */
export interface PolicyDescriptor {
  /** Order of eviction: least recently seen first, or oldest created first. */
  readonly order: 'last-seen' | 'created';
  /** Whether a login from a device that has a session replaces it. */
  readonly replaceSameDevice: boolean;
  /** Only sessions idle at least this many milliseconds may be evicted (0: any). */
  readonly minIdle: number;
}

/**
 * An eviction policy: which sessions give way when a principal logs in over its limit.
 * Like a passport strategy, it is a plain object behind one small interface; the
 * built-ins are written exactly the way yours would be.
 *
 * The registry calls {@link replaces} (if present) on every login, then, if the principal
 * is still over its limit, {@link rank}, and evicts exactly as many of the ranked
 * sessions as needed, first ones first. Sessions left out of the ranking are protected;
 * if too few are ranked, the login is refused with `ERR_SESSION_LIMIT`.
 *
 * @example
 * ```ts
 * // Never evict admins' first session; otherwise least recently seen.
 * const policy: EvictionPolicy = {
 *   name: 'keep-first',
 *   rank: ({ active }) => [...active].sort((a, b) => a.lastSeenAt - b.lastSeenAt).slice(0, -1),
 * };
 * ```
 * @public
 */
export interface EvictionPolicy {
  /** A short name, used in events, stats and benchmarks. */
  readonly name: string;
  /**
   * Sessions the candidate replaces outright (ended with reason `replaced`); they do not
   * count against the limit. Called on every login.
   */
  replaces?(context: EvictionContext): readonly SessionInfo[];
  /** The sessions that may be evicted, in eviction order (first is evicted first). */
  rank(context: EvictionContext): readonly SessionInfo[];
  /** The declarative form of a built-in policy; see {@link PolicyDescriptor}. */
  readonly descriptor?: PolicyDescriptor;
}
