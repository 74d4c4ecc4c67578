// The options every example takes and what a started example gives back (the contract
// the shared HTTP scenarios, the client keeper's tests and the benchmarks rely on).
import type { EvictionPolicy, SessionRegistry, SessionRegistryOptions, SessionStore } from '@session-policy/core';

/** How to start an example. */
export interface ExampleOptions {
  /** 0 = a free port. Default 0. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 2. */
  maxSessions?: number;
  onLimit?: 'evict' | 'reject';
  policy?: EvictionPolicy;
  idleTimeout?: number;
  clock?: () => number;
  store?: SessionStore;
  /** A registry to use as is (wins over the registry options above; not closed by close()). */
  registry?: SessionRegistry;
  onStoreError?: 'fail-closed' | 'fail-open';
  /** user name → password. Default alice/alice-pw, bob/bob-pw, carol/carol-pw. */
  users?: Record<string, string>;
  /** The session cookie's secret (signing key, or encryption password of 32+ characters for hapi). Default: random per start. */
  secret?: string;
}

/** A started example. */
export interface RunningExample {
  url: string;
  registry: SessionRegistry;
  close(): Promise<void>;
}

/** The registry options an example's options describe (only those given). */
export function registryOptions(options: ExampleOptions): SessionRegistryOptions {
  const { onLimit, policy, idleTimeout, clock, store, onStoreError } = options;
  const given = Object.entries({ onLimit, policy, idleTimeout, clock, store, onStoreError }).filter(([, v]) => v !== undefined);
  return { maxSessions: options.maxSessions ?? 2, ...Object.fromEntries(given) };
}

/** A form checkbox or JSON boolean. */
export const yes = (value: unknown): boolean => value === true || value === 'true' || value === 'on';
