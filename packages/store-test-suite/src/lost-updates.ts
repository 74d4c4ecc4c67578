// Lost updates (rule R1): concurrent operations on one principal must each take effect.
// A read-then-write store passes "exactly one active" with max 1 while admitted
// sessions vanish without a tombstone; here every admitted session is accounted for.
import { randomUUID } from 'node:crypto';
import { SessionRegistry, rejectUnknownOptions, type SessionInfo, type SessionStore } from '@session-policy/core';

/** Options of {@link lostUpdates}. @public */
export interface LostUpdatesOptions {
  /** Makes a store (one per scenario; stores may share a backend). */
  readonly createStore: () => SessionStore | Promise<SessionStore>;
  /** Concurrent operations per scenario. Default 25. */
  readonly concurrency?: number;
}

/**
 * Runs concurrent logins, ends and touches on single principals and returns what went
 * missing (an empty list when nothing did): every admitted session must be active or a
 * tombstone with its reason, every refused login unknown, every end final.
 *
 * @param options - see {@link LostUpdatesOptions}.
 * @public
 */
export async function lostUpdates(options: LostUpdatesOptions): Promise<string[]> {
  rejectUnknownOptions(options, Object.keys({ createStore: true, concurrency: true } satisfies Record<keyof LostUpdatesOptions, true>), 'lostUpdates()');
  const n = options.concurrency ?? 25;
  const problems: string[] = [];
  const settings = { idleTimeout: 60 * 60_000, maxTombstones: 4 * n, tombstoneRetention: 24 * 3_600_000 };

  // 1. Evict mode, max 1: every admitted login is active (exactly one) or evicted.
  {
    const store = await options.createStore();
    // Two registries on one store: two processes' worth of callers.
    const registries = [new SessionRegistry({ store, ...settings, maxSessions: 1 }), new SessionRegistry({ store, ...settings, maxSessions: 1 })];
    const user = `lost-evict-${randomUUID()}`;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => registries[i % 2]!.admit({ principal: user, sessionId: `e${i}` }).then((r) => [`e${i}`, r.admitted] as const)),
    );
    const listed = byId(await registries[0]!.list(user, { includeEnded: true }));
    let active = 0;
    for (const [id, admitted] of results) {
      const s = listed.get(id);
      if (!admitted) problems.push(`evict: ${id} was refused in evict mode`);
      else if (!s) problems.push(`evict: ${id} was admitted, then vanished without a tombstone`);
      else if (s.state === 'active') active++;
      else if (s.endReason !== 'evicted') problems.push(`evict: ${id} ended with reason ${s.endReason}, not evicted`);
    }
    if (active !== 1) problems.push(`evict: ${active} active sessions with max 1`);
    await registries[0]!.close();
    await registries[1]!.close();
  }

  // 2. Reject mode, max 3: exactly 3 admitted, all active; the refused are unknown.
  {
    const store = await options.createStore();
    const registry = new SessionRegistry({ store, ...settings, maxSessions: 3, onLimit: 'reject' });
    const user = `lost-reject-${randomUUID()}`;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => registry.admit({ principal: user, sessionId: `r${i}` }).then((r) => [`r${i}`, r.admitted] as const)),
    );
    const listed = byId(await registry.list(user, { includeEnded: true }));
    const admitted = results.filter(([, ok]) => ok).length;
    if (admitted !== 3) problems.push(`reject: ${admitted} admitted with max 3`);
    for (const [id, ok] of results) {
      const s = listed.get(id);
      if (ok && s?.state !== 'active') problems.push(`reject: ${id} was admitted, then found ${s ? `ended (${s.endReason})` : 'missing'}`);
      if (!ok && s) problems.push(`reject: ${id} was refused, yet is stored`);
    }
    await registry.close();
  }

  // 3. Ends, logins and touches at once, no limit: each takes effect, no end is undone.
  {
    const store = await options.createStore();
    const registry = new SessionRegistry({ store, ...settings });
    const user = `lost-mixed-${randomUUID()}`;
    const existing = Array.from({ length: n }, (_, i) => `m${i}`);
    for (const id of existing) await registry.admit({ principal: user, sessionId: id });
    const principalKey = registry.key(user);
    const seenAt = registry.now() + 1;
    const context = { now: registry.now(), timeouts: { idle: settings.idleTimeout, absolute: Infinity, retention: settings.tombstoneRetention, maxTombstones: settings.maxTombstones } };
    const ended = existing.filter((_, i) => i % 2 === 0);
    await Promise.all([
      ...ended.map((id) => registry.end(id, user, 'revoked')),
      ...existing.map((id) => store.touch([{ principalKey, sessionId: id, seenAt }], context)),
      ...Array.from({ length: n }, (_, i) => registry.admit({ principal: user, sessionId: `n${i}` })),
    ]);
    const listed = byId(await registry.list(user, { includeEnded: true }));
    for (const id of existing) {
      const s = listed.get(id);
      const want = ended.includes(id) ? 'revoked' : 'active';
      const got = !s ? 'missing' : s.state === 'active' ? 'active' : s.endReason;
      if (got !== want) problems.push(`mixed: ${id} is ${got}, expected ${want}`);
    }
    for (let i = 0; i < n; i++) if (listed.get(`n${i}`)?.state !== 'active') problems.push(`mixed: login n${i} was lost`);
    await registry.close();
  }
  return problems;
}

function byId(sessions: readonly SessionInfo[]): Map<string, SessionInfo> {
  return new Map(sessions.map((s) => [s.sessionId, s]));
}
