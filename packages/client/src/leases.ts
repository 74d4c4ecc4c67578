import type { SessionCoordinator } from './coordinator.js';

/**
 * The permits one keeper or pool holds in a coordinator, renewed every third of the
 * lease while held (one unref'd timer), so they outlive slow work but not the process.
 */
export class Leases {
  readonly #coordinator: SessionCoordinator;
  readonly #lease: number;
  readonly #held = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;

  /**
   * @param coordinator - where the permits live.
   * @param lease - the lease, in milliseconds.
   */
  constructor(coordinator: SessionCoordinator, lease: number) {
    this.#coordinator = coordinator;
    this.#lease = lease;
  }

  /** Takes a permit of `name` (one of `max`); its id, or `undefined` when none is free. */
  async acquire(name: string, max: number): Promise<string | undefined> {
    const id = await this.#coordinator.acquirePermit(name, max, this.#lease);
    if (id !== undefined) {
      this.#held.set(id, name);
      this.#timer ??= setInterval(() => void this.#renew(), this.#lease / 3).unref();
    }
    return id;
  }

  /** Gives a permit back; the number of permits of its name still held (anywhere). */
  async release(name: string, id: string): Promise<number> {
    this.#held.delete(id);
    if (this.#held.size === 0) this.stop();
    return this.#coordinator.releasePermit(name, id);
  }

  /** Stops renewing (the holds then run out after the lease). */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #renew(): Promise<void> {
    await Promise.all(
      [...this.#held].map(async ([id, name]) => {
        // A lost permit (the process stalled longer than the lease) is taken again when
        // free; until then the cap may count one less here.
        const ok = await this.#coordinator.renewPermit(name, id, this.#lease).catch(() => true);
        if (!ok) this.#held.delete(id);
      }),
    );
  }
}
