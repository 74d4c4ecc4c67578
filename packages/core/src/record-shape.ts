import { SeenSlot } from './record-seen.js';
import type { SessionInfo } from './session.js';

/**
 * Session records in one compact shape per set of fields present. A record built with
 * spreads (`{ ...r, lastSeenAt }`) keeps its properties out of the object (and one built
 * by overriding a spread property can end up as a dictionary: over 300 bytes); the
 * embedded store holds a million of them, so every record it keeps is built here, by a
 * constructor assigning exactly the fields present, in a fixed order (about 96 bytes
 * for an active record with a device id, its last-seen slot included, instead of 136 to
 * 343).
 */

const FIELDS = [
  'sessionId',
  'principalKey',
  'createdAt',
  'lastSeenAt',
  'deviceId',
  'userAgent',
  'ip',
  'attributes',
  'state',
  'endedAt',
  'endReason',
] as const satisfies ReadonlyArray<keyof SessionInfo>;

type Build = (s: SessionInfo) => SessionInfo;
const builders = new Map<number, Build>();

/**
 * A copy of `s` with only the known fields that are not `undefined`, as an object of a
 * shape shared by every record with the same fields: an instance of a class made for
 * that set of fields, whose constructor assigns exactly them in a fixed order, on top of
 * {@link SeenSlot} (one private mutable slot for the embedded store's last seen; no
 * property, so records still look, spread and serialize like plain objects).
 *
 * @param s - the record's fields.
 */
export function sessionRecord(s: SessionInfo): SessionInfo {
  let mask = 0;
  for (let i = 0; i < FIELDS.length; i++) if (s[FIELDS[i]!] !== undefined) mask |= 1 << i;
  let build = builders.get(mask);
  if (!build) {
    const present = FIELDS.filter((_, i) => mask & (1 << i));
    const assign = present.map((f) => (f === 'createdAt' ? 'this.createdAt = c;' : f === 'lastSeenAt' ? 'this.lastSeenAt = l === c ? c : l;' : `this.${f} = s.${f};`)).join(' ');
    // The field names are the constants above, never data: the class is code we write.
    // When `lastSeenAt` equals `createdAt` (every record at admission) both fields hold
    // one number; built once with nulls, the fields are general (tagged) rather than
    // unboxed doubles, which lets them share it: 16 bytes less per record.
    const Record = new Function(
      'Base',
      `return class SessionRecord extends Base { constructor(s) { super(); const c = s.createdAt; const l = s.lastSeenAt; ${assign} } }`,
    )(SeenSlot) as new (s: SessionInfo) => SessionInfo;
    build = (fields) => new Record(fields);
    const nulls = Object.fromEntries(present.map((f) => [f, null])) as unknown as SessionInfo;
    build(nulls);
    build({ ...nulls, lastSeenAt: 0 });
    builders.set(mask, build);
  }
  return build(s);
}
