import { InvalidOptionError } from '../errors.js';
import type { SessionRegistryOptions } from '../options.js';
import { SessionRegistry } from '../registry.js';
import { HttpPolicy, type HttpPolicyOptions } from './http-policy.js';

/**
 * {@link HttpPolicyOptions} whose registry may also be the options to create one (the
 * hapi and Fastify plugins' options).
 *
 * @public
 */
export interface OwnedPolicyOptions extends Omit<HttpPolicyOptions, 'registry'> {
  /** The session registry, or options to create one. */
  readonly registry: SessionRegistry | SessionRegistryOptions;
}

/**
 * The policy of a server plugin, over the registry the options give or over one made from
 * registry options, which the plugin then owns (and closes when the server closes). The
 * plugin's own checks run between the registry's shape and its creation, so that a
 * refused option leaves no registry behind (one made here is closed again when the
 * shared options are refused).
 *
 * @param options - see {@link OwnedPolicyOptions}.
 * @param validate - the plugin's own checks of its options; what it returns is `checked`.
 * @public
 */
export function ownedPolicy<T>(options: OwnedPolicyOptions, validate: () => T): { readonly policy: HttpPolicy; readonly owned: boolean; readonly checked: T } {
  if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', 'must be an object');
  if (options.registry === null || typeof options.registry !== 'object') {
    throw new InvalidOptionError('registry', 'must be a SessionRegistry or the options to create one');
  }
  const checked = validate();
  const owned = !(options.registry instanceof SessionRegistry);
  const registry = options.registry instanceof SessionRegistry ? options.registry : new SessionRegistry(options.registry);
  try {
    return { policy: new HttpPolicy({ ...options, registry }), owned, checked };
  } catch (error) {
    if (owned) void registry.close();
    throw error;
  }
}
