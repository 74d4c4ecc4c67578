import { SessionRegistry } from '@session-policy/core';
import { PostgresSessionStore } from '@session-policy/postgres';
import { RedisSessionStore } from '@session-policy/redis';
import type { ServerConfig } from './variants.js';

/**
 * The session registry a policy variant runs with (`undefined` for the others): at most
 * two sessions per user, everything else at its default (idle timeout 30 min, touches
 * throttled), over the variant's store.
 *
 * @param config - the child's configuration.
 */
export function policyRegistry(config: ServerConfig): SessionRegistry | undefined {
  switch (config.variant) {
    case 'bare':
    case 'session':
      return undefined;
    case 'policy-embedded':
      return new SessionRegistry({ maxSessions: 2 });
    case 'policy-redis-near':
    case 'policy-redis': {
      if (!config.redisUrl) throw new Error(`${config.variant} needs a redisUrl`);
      // A generous command timeout: a 503 under a noisy neighbour would void the round, not measure it.
      const store = new RedisSessionStore(config.redisUrl, {
        prefix: config.prefix ?? 'bench:',
        commandTimeout: 5000,
        ...(config.variant === 'policy-redis' ? { nearCache: false as const } : {}),
      });
      return new SessionRegistry({ maxSessions: 2, store });
    }
    case 'policy-postgres-near':
    case 'policy-postgres': {
      if (!config.postgresUrl) throw new Error(`${config.variant} needs a postgresUrl`);
      // Tables of its own per child (a prefix from framework and variant); a generous query timeout as for Redis.
      const store = new PostgresSessionStore(config.postgresUrl, {
        prefix: `bench_${config.framework}_${config.variant.replaceAll('-', '_')}_`,
        queryTimeout: 5000,
        ...(config.variant === 'policy-postgres' ? { nearCache: false as const } : {}),
      });
      return new SessionRegistry({ maxSessions: 2, store });
    }
  }
}
