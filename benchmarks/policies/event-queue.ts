/**
 * The simulator's agenda: a min-heap of events by time, ties broken by insertion order,
 * so that two runs schedule and pop events in exactly the same order.
 */
export class EventQueue<T> {
  readonly #heap: Array<{ at: number; seq: number; event: T }> = [];
  #seq = 0;

  /** The number of pending events. */
  get size(): number {
    return this.#heap.length;
  }

  /** The time of the next event (`Infinity` when empty). */
  peekTime(): number {
    return this.#heap[0]?.at ?? Infinity;
  }

  /**
   * Schedules an event.
   *
   * @param at - virtual time in milliseconds.
   * @param event - the event.
   */
  push(at: number, event: T): void {
    const entry = { at, seq: this.#seq++, event };
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  /** Removes and returns the earliest event, or `undefined` when empty. */
  pop(): T | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined) return undefined;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= heap.length) break;
        const r = l + 1;
        const c = r < heap.length && before(heap[r]!, heap[l]!) ? r : l;
        if (!before(heap[c]!, last)) break;
        heap[i] = heap[c]!;
        i = c;
      }
      heap[i] = last;
    }
    return top.event;
  }
}

function before(a: { at: number; seq: number }, b: { at: number; seq: number }): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
