import type { SessionStore, TouchRequest } from './store.js';
import type { Timeouts } from './timeouts.js';

/** What the per-request calls read: the principal, the session and the request time. */
export interface SeenRequest {
  /** The principal's key. */
  readonly principalKey: string;
  /** The session id. */
  readonly sessionId: string;
  /** The request time. */
  readonly now: number;
}

/** One session's "last seen" as this process knows it. Mutated in place (no allocation per request). */
interface Slot {
  /** The session id. */
  sessionId: string;
  /** The latest request time seen here. */
  seenAt: number;
  /** The latest `lastSeenAt` the store is known to hold. */
  stored: number;
}

/**
 * One principal's slots: the first inline (most principals have one session seen at a
 * time, so a new one costs one object), any others in a map.
 */
interface PrincipalSlots extends Slot {
  more: Map<string, Slot> | undefined;
  /** min(stored + idle) over its pending slots: from then on, the store would expire one of them too early. */
  dueAt: number;
}

/**
 * The registry's write-behind "last seen" (rule R11 of `docs/storage-rules.md`): each
 * check records the request time here at once; a timer flushes what is pending every
 * `interval` milliseconds in one `store.touch` call, so a session is written at most
 * once per interval however busy it is, and the store keeps the maximum. Before an
 * admission, listing or end, the registry flushes the principal's pending touches
 * ({@link flushPrincipal}), so eviction order and the devices page are exact within
 * this process.
 *
 * A slot lives while its session is seen: a flush drops the slots that saw no request
 * since the previous flush, so memory follows the sessions in use.
 */
export class PendingTouches {
  readonly #store: SessionStore;
  readonly #interval: number;
  readonly #clock: () => number;
  readonly #timeouts: Timeouts;
  readonly #report: (error: unknown) => void;
  readonly #byPrincipal = new Map<string, PrincipalSlots>();
  /**
   * The principal {@link due} looked up last, which the request's {@link seen} then
   * reuses: at a million sessions each lookup in a map this size is a cache miss.
   * Cleared by every change to the map.
   */
  #lastKey: string | undefined;
  #lastPrincipal: PrincipalSlots | undefined;
  #timer: NodeJS.Timeout | undefined;
  #armed = false;
  #flushing: Promise<void> | undefined;
  #closed = false;

  /**
   * @param store - where touches go.
   * @param interval - the flush interval (milliseconds, 0: at the next turn of the event loop).
   * @param clock - the registry's clock.
   * @param timeouts - the timeouts in force.
   * @param report - called with a failed flush's error (the touches stay pending and are retried).
   */
  constructor(store: SessionStore, interval: number, clock: () => number, timeouts: Timeouts, report: (error: unknown) => void) {
    this.#store = store;
    this.#interval = interval;
    this.#clock = clock;
    this.#timeouts = timeouts;
    this.#report = report;
  }

  /**
   * Records that the request's session answered `active` at the request's time, the
   * store holding `stored` as its `lastSeenAt`. The per-request path: no promise, and no
   * allocation once the session has a slot (the time is read from the request object:
   * a number passed as an argument would be boxed).
   *
   * @param request - the principal's key, the session id and the request time.
   * @param stored - the store's `lastSeenAt` for it.
   */
  seen(request: SeenRequest, stored: number): void {
    const { principalKey, sessionId, now: at } = request;
    const principal = principalKey === this.#lastKey ? this.#lastPrincipal : this.#byPrincipal.get(principalKey);
    let slot: Slot | undefined = principal && (principal.sessionId === sessionId ? principal : principal.more?.get(sessionId));
    if (slot) {
      if (stored > slot.stored) slot.stored = stored;
      if (!(at > slot.seenAt)) return;
      slot.seenAt = at;
    } else {
      if (!(at > stored)) return;
      if (principal) {
        slot = { sessionId, seenAt: at, stored };
        (principal.more ??= new Map()).set(sessionId, slot);
      } else {
        this.#byPrincipal.set(principalKey, { sessionId, seenAt: at, stored, more: undefined, dueAt: stored + this.#timeouts.idle });
        this.#lastKey = undefined;
        if (!this.#armed) this.#arm();
        return;
      }
    }
    const due = slot.stored + this.#timeouts.idle;
    if (due < principal!.dueAt) principal!.dueAt = due;
    if (!this.#armed) this.#arm();
  }

  /**
   * Whether the store, asked about the request's principal at the request's time, could
   * end one of its sessions as idle although this process saw it since: then flush the
   * principal first.
   *
   * @param request - the principal's key and the request time.
   */
  due(request: SeenRequest): boolean {
    const { principalKey } = request;
    const principal = this.#byPrincipal.size === 0 ? undefined : this.#byPrincipal.get(principalKey);
    this.#lastKey = principalKey;
    this.#lastPrincipal = principal;
    return principal !== undefined && request.now >= principal.dueAt;
  }

  /**
   * Forgets a session's slot (it ended, or is unknown to the store).
   *
   * @param principalKey - the principal's key.
   * @param sessionId - the session id.
   */
  forget(principalKey: string, sessionId: string): void {
    const principal = this.#byPrincipal.get(principalKey);
    if (principal) this.#drop(principalKey, principal, sessionId);
  }

  /**
   * Sends the principal's pending touches now (before an admission, a listing or an end).
   * Throws what the store throws.
   *
   * @param principalKey - the principal's key.
   */
  async flushPrincipal(principalKey: string): Promise<void> {
    const principal = this.#byPrincipal.get(principalKey);
    if (!principal) return;
    const batch: TouchRequest[] = [];
    const slots: Slot[] = [];
    for (const slot of slotsOf(principal)) {
      if (slot.seenAt > slot.stored) {
        batch.push({ principalKey, sessionId: slot.sessionId, seenAt: slot.seenAt });
        slots.push(slot);
      }
    }
    if (batch.length > 0) await this.#send(batch, slots);
  }

  /** Sends every pending touch now (before a sweep, at close). Throws what the store throws. */
  async flushAll(): Promise<void> {
    if (this.#flushing) await this.#flushing.catch(() => undefined);
    await this.#flush(false);
  }

  /** Stops the timer and sends what is pending (errors are reported). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    try {
      await this.flushAll();
    } catch (error) {
      this.#report(error);
    }
  }

  #arm(): void {
    if (this.#closed) return;
    this.#armed = true;
    if (this.#timer) this.#timer.refresh();
    else this.#timer = setTimeout(() => this.#tick(), this.#interval).unref();
  }

  #tick(): void {
    this.#armed = false;
    this.#flushing = this.#flush(true).then(
      () => {
        this.#flushing = undefined;
      },
      (error: unknown) => {
        this.#flushing = undefined;
        this.#report(error);
        // The touches stay pending: try again after another interval.
        if (this.#byPrincipal.size > 0) this.#arm();
      },
    );
  }

  async #flush(dropQuiet: boolean): Promise<void> {
    const batch: TouchRequest[] = [];
    const slots: Slot[] = [];
    for (const [principalKey, principal] of this.#byPrincipal) {
      for (const slot of slotsOf(principal)) {
        if (slot.seenAt > slot.stored) {
          batch.push({ principalKey, sessionId: slot.sessionId, seenAt: slot.seenAt });
          slots.push(slot);
        } else if (dropQuiet) {
          // No request since the previous flush: the session went quiet.
          this.#drop(principalKey, principal, slot.sessionId);
        }
      }
    }
    if (batch.length > 0) await this.#send(batch, slots);
    // Slots written this time are dropped at the next flush if nothing new comes.
    if (dropQuiet && this.#byPrincipal.size > 0) this.#arm();
  }

  async #send(batch: TouchRequest[], slots: Slot[]): Promise<void> {
    await this.#store.touch(batch, { now: this.#clock(), timeouts: this.#timeouts });
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      const sent = batch[i]!.seenAt;
      if (sent > slot.stored) slot.stored = sent;
    }
    for (const { principalKey } of batch) {
      const principal = this.#byPrincipal.get(principalKey);
      if (principal) principal.dueAt = dueAt(principal, this.#timeouts.idle);
    }
  }

  /** Removes one session's slot, promoting another into the inline place if needed. */
  #drop(principalKey: string, principal: PrincipalSlots, sessionId: string): void {
    if (principal.sessionId !== sessionId) {
      principal.more?.delete(sessionId);
      return;
    }
    const next = principal.more?.values().next().value;
    if (!next) {
      this.#byPrincipal.delete(principalKey);
      this.#lastKey = undefined;
      return;
    }
    principal.more!.delete(next.sessionId);
    principal.sessionId = next.sessionId;
    principal.seenAt = next.seenAt;
    principal.stored = next.stored;
  }
}

/** A principal's slots: the inline one, then the others (a snapshot, safe to drop from). */
function slotsOf(principal: PrincipalSlots): Slot[] {
  return principal.more ? [principal, ...principal.more.values()] : [principal];
}

function dueAt(principal: PrincipalSlots, idle: number): number {
  let at = Infinity;
  for (const slot of slotsOf(principal)) {
    if (slot.seenAt > slot.stored && slot.stored + idle < at) at = slot.stored + idle;
  }
  return at;
}
