/**
 * A min-heap of (deadline, key) with one live entry per key: scheduling a key at an
 * earlier time supersedes its later entry; scheduling it later than its live entry does
 * nothing (the entry fires early, and the caller reschedules). Popping costs O(log n)
 * per entry due, so a sweep costs what it removes, not what is stored.
 *
 * Compact (the embedded store schedules one entry per principal): the heap is two
 * parallel arrays, keys and unboxed times, and the live entry's time is kept as an
 * offset from the first time scheduled, a small integer that needs no box.
 *
 * @public
 */
export class DeadlineQueue {
  readonly #keys: string[] = [];
  readonly #ats: number[] = [];
  readonly #scheduled = new Map<string, number>();
  #base: number | undefined;

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
    this.#base ??= at;
    const offset = at - this.#base;
    const current = this.#scheduled.get(key);
    if (current !== undefined && current <= offset) return;
    this.#scheduled.set(key, offset);
    this.#push(key, at);
  }

  /**
   * Removes and returns the keys due at `now`, at most `limit` of them.
   *
   * @param now - the current time.
   * @param limit - the most keys to return.
   */
  due(now: number, limit: number): string[] {
    const out: string[] = [];
    const keys = this.#keys;
    const ats = this.#ats;
    while (out.length < limit && keys.length > 0 && ats[0]! <= now) {
      const key = keys[0]!;
      const at = ats[0]!;
      this.#pop();
      if (this.#scheduled.get(key) !== at - this.#base!) continue;
      this.#scheduled.delete(key);
      out.push(key);
    }
    return out;
  }

  #push(key: string, at: number): void {
    const keys = this.#keys;
    const ats = this.#ats;
    let i = keys.length;
    keys.push(key);
    ats.push(at);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (ats[parent]! <= at) break;
      keys[i] = keys[parent]!;
      ats[i] = ats[parent]!;
      i = parent;
    }
    keys[i] = key;
    ats[i] = at;
  }

  #pop(): void {
    const keys = this.#keys;
    const ats = this.#ats;
    const lastKey = keys.pop()!;
    const lastAt = ats.pop()!;
    const n = keys.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && ats[r]! < ats[l]! ? r : l;
      if (ats[c]! >= lastAt) break;
      keys[i] = keys[c]!;
      ats[i] = ats[c]!;
      i = c;
    }
    keys[i] = lastKey;
    ats[i] = lastAt;
  }
}
