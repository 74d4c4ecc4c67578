/**
 * Counters of a keeper or a pool since it was created.
 *
 * @public
 */
export interface ClientStats {
  /** Sessions held now: created, attached or adopted, and not yet finalized. */
  readonly active: number;
  /** Sessions created by a successful login, plus sessions attached to a pool. */
  readonly created: number;
  /**
   * Sessions taken over from another process through the coordinator (a login made
   * elsewhere), without a login here.
   */
  readonly adopted: number;
  /** Sessions let go: logged out, expired, discarded or detached. */
  readonly finalized: number;
  /** Sessions created to replace one that expired. */
  readonly renewals: number;
  /** Login attempts made (each call of the strategy's `login`). */
  readonly logins: number;
  /** Login attempts that failed. */
  readonly failures: number;
}

/** The mutable counters behind {@link ClientStats}. */
export class Counters {
  created = 0;
  adopted = 0;
  finalized = 0;
  renewals = 0;
  logins = 0;
  failures = 0;

  /** A frozen copy for `stats()`. */
  snapshot(): ClientStats {
    const { created, adopted, finalized, renewals, logins, failures } = this;
    return Object.freeze({ active: created + adopted - finalized, created, adopted, finalized, renewals, logins, failures });
  }
}
