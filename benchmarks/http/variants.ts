/** The web frameworks the HTTP benchmark measures, each with its usual session library. */
export const FRAMEWORKS = ['express', 'koa', 'hapi', 'fastify'] as const;

/** A framework of {@link FRAMEWORKS}. */
export type Framework = (typeof FRAMEWORKS)[number];

/**
 * What runs in front of the `GET /hello` route, from nothing to the whole stack:
 *
 * - `bare`: the framework alone, no session.
 * - `session`: the framework's session library alone (express-session with its memory
 *   store, koa-session in cookie mode, @hapi/cookie,
 *   @fastify/session with its memory store), logged in: the baseline of the ratios.
 * - `policy-embedded`: the same plus session-policy with its embedded memory store.
 * - `policy-redis-near`: … with the Redis store and its near cache (the default).
 * - `policy-redis`: … with the Redis store, near cache off (`nearCache: false`).
 * - `policy-postgres-near`: … with the Postgres store and its near cache (the default).
 * - `policy-postgres`: … with the Postgres store, near cache off (`nearCache: false`).
 */
export const VARIANTS = ['bare', 'session', 'policy-embedded', 'policy-redis-near', 'policy-redis', 'policy-postgres-near', 'policy-postgres'] as const;

/** A variant of {@link VARIANTS}. */
export type Variant = (typeof VARIANTS)[number];

/** The variant every ratio is taken against: the session library without our policy. */
export const BASELINE: Variant = 'session';

/** The lowest acceptable median req/s ratio to {@link BASELINE}, for the variants that have a target (issue #5). */
export const TARGETS: Partial<Record<Variant, number>> = {
  'policy-embedded': 0.97,
  'policy-redis-near': 0.95,
};

/** Row labels for the report. */
export const VARIANT_LABELS: Record<Variant, string> = {
  bare: 'bare framework',
  session: 'session library only (baseline)',
  'policy-embedded': '+ policy, embedded store',
  'policy-redis-near': '+ policy, Redis + near cache',
  'policy-redis': '+ policy, Redis, no near cache',
  'policy-postgres-near': '+ policy, Postgres + near cache',
  'policy-postgres': '+ policy, Postgres, no near cache',
};

/** The session libraries, by framework, for the report. */
export const SESSION_LIBRARIES: Record<Framework, string> = {
  express: 'express-session (MemoryStore)',
  koa: 'koa-session (signed cookie)',
  hapi: '@hapi/cookie (iron-sealed cookie)',
  fastify: '@fastify/session (memory store, with @fastify/cookie)',
};

/** What a server child needs to know, passed as its only argument (JSON). */
export interface ServerConfig {
  readonly framework: Framework;
  readonly variant: Variant;
  /** The redis-server for the Redis variants. */
  readonly redisUrl?: string;
  /** Key prefix for the Redis store, unique per child so that children never share principals. */
  readonly prefix?: string;
  /** The PostgreSQL for the Postgres variants (a connection string). */
  readonly postgresUrl?: string;
}

/** Whether the variant runs on the Redis store (and needs a redis-server). */
export const usesRedis = (variant: Variant): boolean => variant.startsWith('policy-redis');

/** Whether the variant runs on the Postgres store (and needs a PostgreSQL). */
export const usesPostgres = (variant: Variant): boolean => variant.startsWith('policy-postgres');

/** Whether the variant has a logged-in session (all but `bare`). */
export const hasSession = (variant: Variant): boolean => variant !== 'bare';

/** Whether the variant runs session-policy. */
export const hasPolicy = (variant: Variant): boolean => variant.startsWith('policy-');

/** The principal every child logs in. */
export const USER = 'alice';

/** The body of `GET /hello`. */
export const HELLO = 'hello';
