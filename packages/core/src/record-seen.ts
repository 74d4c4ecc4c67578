import type { SessionInfo } from './session.js';

/**
 * The base of every record built by `sessionRecord` (`record-shape.ts`): one private,
 * mutable slot, "seen at", in the record object itself. Records are frozen (callers get
 * them by reference and cannot change them), but a private field is no property:
 * `Object.freeze` leaves it writable, it is not enumerable, not copied by a spread, not
 * serialized. An in-process store (the embedded store) keeps there the latest request
 * time this process saw for the session beyond its `lastSeenAt` (rule R11), so a check
 * records it with one write to memory it has just read, no lookup and no allocation;
 * the store folds it into `lastSeenAt` when it next writes the principal's records.
 */
export class SeenSlot {
  #seenAt = 0;

  /**
   * The latest request time recorded in the record's slot (0: none, or a record that has
   * no slot: not built by `sessionRecord`).
   *
   * @param record - a session record.
   */
  static seenAt(record: SessionInfo): number {
    return #seenAt in (record as object) ? (record as unknown as SeenSlot).#seenAt : 0;
  }

  /**
   * Records a request time in the record's slot (the caller checks it is later); `false`
   * for a record that has no slot (one not built by `sessionRecord`, such as a candidate
   * a store's caller wrote as a literal).
   *
   * @param record - a session record.
   * @param at - the request time.
   */
  static setSeenAt(record: SessionInfo, at: number): boolean {
    if (!(#seenAt in (record as object))) return false;
    (record as unknown as SeenSlot).#seenAt = at;
    return true;
  }
}
