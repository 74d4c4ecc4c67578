import { randomUUID } from 'node:crypto';
import { StoreError } from './errors.js';

/** {@link BusLiveness.miss} says to replace the connection once more probes than this are missed in a row (the fourth). */
const RESUBSCRIBE_AFTER = 3;

/**
 * What a revocation bus reports to its store besides the ends it delivers.
 *
 * @public
 */
export interface BusReports {
  /** The subscription may have missed messages (`false`), or is proven live again (`true`). */
  readonly state: (live: boolean) => void;
  /** A problem (lost connection or subscription, missed heartbeat, unreadable message). */
  readonly problem: (error: Error) => void;
}

/**
 * Whether a store's revocation bus is proven live, for the buses of the stores shared by
 * many processes (Redis pub/sub, Postgres `LISTEN`): the transport stays in each bus,
 * which sends a probe of its own through it and tells this when it comes back.
 *
 * The bus counts as live only once the probe awaited ({@link probe}) was heard back
 * ({@link heard}); it goes down when its connection fails or ends ({@link lost}) or when
 * the bus judges a probe missed ({@link down}). Each change is reported once through
 * {@link BusReports.state}. It also counts the probes missed in a row ({@link miss}: after
 * four, replace the connection), and keeps the bus's probe timer and closed state.
 *
 * @public
 */
export class BusLiveness {
  readonly #interval: number;
  readonly #reports: BusReports;
  #live = false;
  // The probe awaited ('' when none is).
  #token = '';
  #missed = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  /**
   * @param interval - the probe interval, in milliseconds (see {@link every}).
   * @param reports - where to report changes of state and lost connections.
   */
  constructor(interval: number, reports: BusReports) {
    this.#interval = interval;
    this.#reports = reports;
  }

  /** Whether the bus is proven live (no message can have been missed since). */
  get live(): boolean {
    return this.#live;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether a probe is awaited (sent and not heard back, nor given up by {@link down}). */
  get awaiting(): boolean {
    return this.#token !== '';
  }

  /** The probes missed in a row (see {@link miss}). */
  get missed(): number {
    return this.#missed;
  }

  /** A new probe token, the one awaited from now on; send it through the subscription. */
  probe(): string {
    this.#token = randomUUID();
    return this.#token;
  }

  /**
   * A probe came back through the subscription: if it is the one awaited, the bus is
   * live (reported if it was not) and no probe is missed any more. Returns whether it was.
   *
   * @param token - the probe's token as received.
   */
  heard(token: string): boolean {
    if (token !== this.#token) return false;
    this.#token = '';
    this.#missed = 0;
    if (!this.#live) {
      this.#live = true;
      this.#reports.state(true);
    }
    return true;
  }

  /**
   * The bus may have missed messages: no probe is awaited any more, and it is down
   * (reported if it was live). Returns whether it was live.
   */
  down(): boolean {
    this.#token = '';
    if (!this.#live) return false;
    this.#live = false;
    this.#reports.state(false);
    return true;
  }

  /**
   * The bus's connection failed (`error`) or ended: the error is reported as a
   * `StoreError` (`ERR_STORE`, operation `bus`) if the bus was live, then it is
   * {@link down}.
   *
   * @param error - the connection's error, if any.
   */
  lost(error?: Error): void {
    if (error && this.#live) this.#reports.problem(new StoreError('bus', error));
    this.down();
  }

  /** Counts a missed probe; `true` once more than three were missed in a row (replace the connection). */
  miss(): boolean {
    return ++this.#missed > RESUBSCRIBE_AFTER;
  }

  /** Counts missed probes afresh (a new connection). */
  fresh(): void {
    this.#missed = 0;
  }

  /**
   * Calls `probe` every interval (a timer that does not keep the process alive), unless
   * the timer runs already or the bus is closed.
   *
   * @param probe - what to do each interval.
   */
  every(probe: () => void): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setInterval(probe, this.#interval);
    this.#timer.unref();
  }

  /** Stops the timer of {@link every}. */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Closed: not live (not reported), no probe awaited, the timer stopped. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#live = false;
    this.#token = '';
    this.stop();
  }
}
