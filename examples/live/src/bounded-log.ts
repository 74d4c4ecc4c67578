// What the live example records for its tests (the stream requests it saw), bounded: a
// server left running must not keep every request it ever served.

/** The last `capacity` entries pushed, oldest first. */
export class BoundedLog<T> {
  readonly #entries: T[] = [];

  /** @param capacity - how many entries are kept (older ones are dropped). */
  constructor(readonly capacity: number) {}

  /** Records an entry, dropping the oldest beyond the capacity. */
  push(entry: T): void {
    this.#entries.push(entry);
    if (this.#entries.length > this.capacity) this.#entries.splice(0, this.#entries.length - this.capacity);
  }

  /** The kept entries, oldest first. */
  items(): readonly T[] {
    return this.#entries;
  }
}
