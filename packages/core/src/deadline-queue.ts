/**
 * A min-heap of (deadline, key) with one live entry per key: scheduling a key at an
 * earlier time supersedes its later entry; scheduling it later than its live entry does
 * nothing (the entry fires early, and the caller reschedules). Popping costs O(log n)
 * per entry due, so a sweep costs what it removes, not what is stored.
 *
 * @public
 */
export class DeadlineQueue {
  readonly #heap: Array<{ at: number; key: string }> = [];
  readonly #scheduled = new Map<string, number>();

  /** The number of keys scheduled. */
  get size(): number {
    return this.#scheduled.size;
  }

  /**
   * Makes sure `key` is looked at no later than `at`.
   *
   * @param key - the key.
   * @param at - the time (`Infinity`: nothing to schedule).
   */
  schedule(key: string, at: number): void {
    if (!Number.isFinite(at)) return;
    const current = this.#scheduled.get(key);
    if (current !== undefined && current <= at) return;
    this.#scheduled.set(key, at);
    this.#push({ at, key });
  }

  /**
   * Removes and returns the keys due at `now`, at most `limit` of them.
   *
   * @param now - the current time.
   * @param limit - the most keys to return.
   */
  due(now: number, limit: number): string[] {
    const out: string[] = [];
    const heap = this.#heap;
    while (out.length < limit && heap.length > 0 && heap[0]!.at <= now) {
      const top = this.#pop()!;
      if (this.#scheduled.get(top.key) !== top.at) continue;
      this.#scheduled.delete(top.key);
      out.push(top.key);
    }
    return out;
  }

  #push(entry: { at: number; key: string }): void {
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= entry.at) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  #pop(): { at: number; key: string } | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= heap.length) break;
      const r = l + 1;
      const c = r < heap.length && heap[r]!.at < heap[l]!.at ? r : l;
      if (heap[c]!.at >= last.at) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = last;
    return top;
  }
}
