import type { SessionRegistryOptions } from './options.js';

/**
 * Every option name of {@link SessionRegistryOptions}, for refusing unknown ones. Typed as
 * a record over the interface's keys, so the list cannot drift from the interface: adding
 * an option there without adding it here (or the reverse) is a type error.
 */
const NAMES: Record<keyof SessionRegistryOptions, true> = {
  store: true,
  maxSessions: true,
  onLimit: true,
  policy: true,
  idleTimeout: true,
  absoluteTimeout: true,
  touchInterval: true,
  tombstoneRetention: true,
  maxTombstones: true,
  principalKey: true,
  maxSessionIdLength: true,
  onStoreError: true,
  clock: true,
  sweepInterval: true,
  sweepBatch: true,
  maxAttributesBytes: true,
};

/** The option names {@link SessionRegistry} takes. */
export const REGISTRY_OPTION_NAMES: readonly string[] = Object.keys(NAMES);
