import { randomUUID } from 'node:crypto';
import type { SessionCoordinator, SharedCooldown, SharedSession } from './coordinator.js';

/**
 * A {@link SessionCoordinator} in this process's memory: give one instance to several
 * keepers and pools of one process and they share logins, cooldowns and caps as
 * processes sharing a Redis do through `@session-policy/client-redis`. Session material
 * stays in memory as it is (never serialized, never leaves the process).
 *
 * @public
 */
export class MemoryCoordinator implements SessionCoordinator {
  readonly #sessions = new Map<string, SharedSession>();
  readonly #cooldowns = new Map<string, SharedCooldown>();
  readonly #permits = new Map<string, Map<string, number>>();
  readonly #watchers = new Map<string, Set<() => void>>();

  /** {@inheritDoc SessionCoordinator.read} */
  async read(name: string): Promise<SharedSession | undefined> {
    return this.#sessions.get(name);
  }

  /** {@inheritDoc SessionCoordinator.write} */
  async write(name: string, expected: number, data: unknown): Promise<SharedSession & { readonly stored: boolean }> {
    const current = this.#sessions.get(name);
    if ((current?.generation ?? 0) !== expected) return { generation: current?.generation ?? 0, data: current?.data, stored: false };
    const next = { generation: expected + 1, data };
    this.#sessions.set(name, next);
    this.#tell(name);
    return { ...next, stored: true };
  }

  /** {@inheritDoc SessionCoordinator.remove} */
  async remove(name: string, generation: number): Promise<void> {
    if (this.#sessions.get(name)?.generation === generation) this.#sessions.set(name, { generation, data: undefined });
  }

  /** {@inheritDoc SessionCoordinator.cooldown} */
  async cooldown(name: string): Promise<SharedCooldown | undefined> {
    const cooldown = this.#cooldowns.get(name);
    if (cooldown && cooldown.until <= Date.now()) this.#cooldowns.delete(name);
    return this.#cooldowns.get(name);
  }

  /** {@inheritDoc SessionCoordinator.setCooldown} */
  async setCooldown(name: string, cooldown: SharedCooldown | undefined): Promise<void> {
    if (cooldown) this.#cooldowns.set(name, cooldown);
    else this.#cooldowns.delete(name);
  }

  /** {@inheritDoc SessionCoordinator.acquirePermit} */
  async acquirePermit(name: string, max: number, lease: number): Promise<string | undefined> {
    const permits = this.#live(name);
    if (permits.size >= max) return undefined;
    const id = randomUUID();
    permits.set(id, Date.now() + lease);
    return id;
  }

  /** {@inheritDoc SessionCoordinator.renewPermit} */
  async renewPermit(name: string, id: string, lease: number): Promise<boolean> {
    const permits = this.#live(name);
    if (!permits.has(id)) return false;
    permits.set(id, Date.now() + lease);
    return true;
  }

  /** {@inheritDoc SessionCoordinator.releasePermit} */
  async releasePermit(name: string, id: string): Promise<number> {
    const permits = this.#live(name);
    permits.delete(id);
    const left = permits.size;
    if (left === 0) this.#permits.delete(name);
    this.#tell(name);
    return left;
  }

  /** {@inheritDoc SessionCoordinator.notify} */
  async notify(name: string): Promise<void> {
    this.#tell(name);
  }

  /** {@inheritDoc SessionCoordinator.watch} */
  watch(name: string, listener: () => void): () => void {
    let set = this.#watchers.get(name);
    if (!set) this.#watchers.set(name, (set = new Set()));
    const entry = (): void => listener();
    set.add(entry);
    return () => {
      set.delete(entry);
      if (set.size === 0 && this.#watchers.get(name) === set) this.#watchers.delete(name);
    };
  }

  /** The permits of `name` whose lease has not run out. */
  #live(name: string): Map<string, number> {
    let permits = this.#permits.get(name);
    if (!permits) this.#permits.set(name, (permits = new Map()));
    const now = Date.now();
    for (const [id, until] of permits) if (until <= now) permits.delete(id);
    return permits;
  }

  #tell(name: string): void {
    // Asynchronously, as a pub/sub message would arrive.
    const set = this.#watchers.get(name);
    if (set) for (const listener of [...set]) queueMicrotask(listener);
  }
}
