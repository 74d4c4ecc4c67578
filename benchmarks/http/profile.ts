// CPU profiles of variants' server children under the benchmark's load, recorded only
// while the load runs (after a warm-up): self time per request by package and the top
// functions, time spent inside session-policy's own code (inclusive), and a side-by-side
// of the packages of all profiled variants in µs per request — to explain a missed target
// from data rather than guesswork.
//
//   npm run bench:http -- --profile express/session,express/policy-embedded [--duration 5]
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgresServer, type PostgresServer } from '@session-policy/test-helpers/postgres-server';
import { startRedisServer, type RedisServer } from '@session-policy/test-helpers/redis-server';
import { load, type LoadResult } from './load.js';
import { startServerChild } from './server-child.js';
import { FRAMEWORKS, VARIANTS, usesPostgres, usesRedis, type Framework, type Variant } from './variants.js';

/** The parts of a V8 `.cpuprofile` read here. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** The parts of a V8 sampling heap profile read here. */
export interface HeapProfile {
  head: HeapNode;
  samples: { size: number; nodeId: number }[];
}
interface HeapNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children: HeapNode[];
}

/** Time of one function or one package: in ms over the profile, and µs per request. */
export interface SelfTime {
  readonly name: string;
  readonly ms: number;
  readonly usPerRequest: number;
}

/** A variant's profile, summarized. */
export interface ProfileSummary {
  readonly framework: Framework;
  readonly variant: Variant;
  readonly load: LoadResult;
  /** All profiled time, in ms. */
  readonly totalMs: number;
  /** Profiled time not idle (busy), in µs per request. */
  readonly busyUsPerRequest: number;
  /** Time in session-policy code (core, adapters, redis store) and what it calls (Node, its dependencies), µs per request. */
  readonly oursUsPerRequest: number;
  readonly topFunctions: readonly SelfTime[];
  readonly byPackage: readonly SelfTime[];
  /** Bytes allocated per request (sampled), all of them. */
  readonly allocatedBytesPerRequest: number;
  /** Bytes allocated per request by session-policy code and what it calls. */
  readonly oursBytesPerRequest: number;
  /** The functions of ours that allocated, bytes per request. */
  readonly oursAllocations: readonly { readonly name: string; readonly bytesPerRequest: number }[];
}

/** Where a script URL belongs: an npm package, one of ours, Node itself, or V8 (GC, idle, …). */
export function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node (core)';
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const ours = /\/(packages|adapters|benchmarks)\/([^/]+)\//.exec(path);
  if (ours) return `${ours[1]}/${ours[2]}`;
  return path;
}

/** Whether a package name (from {@link packageOf}) is session-policy's own library code. */
const isOurs = (pkg: string) => pkg.startsWith('packages/') || pkg.startsWith('adapters/');

/**
 * Packages that run on behalf of whoever called them (Node, V8, our own dependencies):
 * their time goes to the nearest caller that is not one of them.
 */
const NEUTRAL = /^(node \(core\)|\(native\)|\(program\)|lru-cache|keyv|@keyv\/.*|@redis\/.*|cluster-key-slot|pg|pg-.*|tsx)$/;

/**
 * Self time per function and per package, and inclusive time of our code, from a V8 CPU
 * profile.
 *
 * @param profile - the parsed `.cpuprofile`.
 * @param requests - requests served while it was recorded.
 * @param top - how many functions to keep.
 */
export function analyze(
  profile: CpuProfile,
  requests: number,
  top = 15,
): Pick<ProfileSummary, 'totalMs' | 'busyUsPerRequest' | 'oursUsPerRequest' | 'topFunctions' | 'byPackage'> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const pkgOf = (id: number) => {
    const { url, functionName } = byId.get(id)!.callFrame;
    return packageOf(url, functionName);
  };
  // A sample is ours when the nearest non-neutral frame on its stack is ours: our code and
  // what it calls, but not the framework code our middleware calls on (its `next()`).
  const attributed = new Map<number, boolean>();
  const underOurs = (id: number): boolean => {
    let known = attributed.get(id);
    if (known === undefined) {
      const pkg = pkgOf(id);
      const up = parent.get(id);
      known = isOurs(pkg) || (NEUTRAL.test(pkg) && up !== undefined && underOurs(up));
      attributed.set(id, known);
    }
    return known;
  };
  const perNode = new Map<number, number>();
  let total = 0;
  for (const [i, id] of profile.samples.entries()) {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    perNode.set(id, (perNode.get(id) ?? 0) + ms);
    total += ms;
  }
  const functions = new Map<string, number>();
  const packages = new Map<string, number>();
  let ours = 0;
  for (const [id, ms] of perNode) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const pkg = pkgOf(id);
    const file = url ? url.replace(/^file:\/\//, '').split('/').slice(-2).join('/') : '';
    const fn = `${functionName || '(anonymous)'}${file ? ` ${file}:${lineNumber + 1}` : ''} [${pkg}]`;
    functions.set(fn, (functions.get(fn) ?? 0) + ms);
    packages.set(pkg, (packages.get(pkg) ?? 0) + ms);
    if (underOurs(id)) ours += ms;
  }
  const per = (ms: number) => (ms * 1000) / Math.max(1, requests);
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([name, ms]) => ({ name, ms, usPerRequest: per(ms) }));
  return {
    totalMs: total,
    busyUsPerRequest: per(total - (packages.get('(idle)') ?? 0)),
    oursUsPerRequest: per(ours),
    topFunctions: sorted(functions).filter((f) => f.name !== '(idle) [(idle)]').slice(0, top),
    byPackage: sorted(packages),
  };
}

/**
 * Allocation per request from a sampling heap profile: all of it, and the part made by
 * session-policy code and what it calls (the same attribution as {@link analyze}).
 *
 * @param profile - the parsed `.heapprofile`.
 * @param requests - requests served while it was recorded.
 */
export function analyzeHeap(
  profile: HeapProfile,
  requests: number,
): Pick<ProfileSummary, 'allocatedBytesPerRequest' | 'oursBytesPerRequest' | 'oursAllocations'> {
  const ours = new Map<number, string | undefined>();
  const walk = (node: HeapNode, owner: string | undefined) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const pkg = packageOf(url, functionName);
    const file = url ? url.replace(/^file:\/\//, '').split('/').slice(-2).join('/') : '';
    const self = isOurs(pkg) ? `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}` : NEUTRAL.test(pkg) || pkg === '(V8 API)' ? owner : undefined;
    ours.set(node.id, self);
    for (const child of node.children) walk(child, self);
  };
  walk(profile.head, undefined);
  let total = 0;
  const byFunction = new Map<string, number>();
  for (const { size, nodeId } of profile.samples) {
    total += size;
    const owner = ours.get(nodeId);
    if (owner !== undefined) byFunction.set(owner, (byFunction.get(owner) ?? 0) + size);
  }
  const per = (bytes: number) => bytes / Math.max(1, requests);
  const oursBytes = [...byFunction.values()].reduce((a, b) => a + b, 0);
  return {
    allocatedBytesPerRequest: per(total),
    oursBytesPerRequest: per(oursBytes),
    oursAllocations: [...byFunction].sort((a, b) => b[1] - a[1]).map(([name, bytes]) => ({ name, bytesPerRequest: per(bytes) })),
  };
}

/**
 * Profiles one variant: starts its server child, warms it up, records a CPU profile
 * while loading it for `duration` seconds, and summarizes it.
 *
 * @param framework - the framework.
 * @param variant - the variant.
 * @param duration - seconds of load.
 * @param redis - the redis-server for the Redis variants.
 * @param postgres - the PostgreSQL for the Postgres variants.
 */
export async function profileVariant(framework: Framework, variant: Variant, duration: number, redis?: RedisServer, postgres?: PostgresServer): Promise<ProfileSummary> {
  const dir = await mkdtemp(join(tmpdir(), 'http-prof-'));
  try {
    const child = await startServerChild({ framework, variant, redisUrl: redis?.url, postgresUrl: postgres?.url, prefix: `prof:${framework}:${variant}:` });
    const path = join(dir, 'server.cpuprofile');
    let result: LoadResult;
    try {
      await load({ url: child.url, headers: child.headers, duration: 2 });
      await child.profileStart();
      result = await load({ url: child.url, headers: child.headers, duration });
      await child.profileStop(path);
    } finally {
      await child.stop();
    }
    const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
    const heap = JSON.parse(await readFile(`${path}.heapprofile`, 'utf8')) as HeapProfile;
    return { framework, variant, load: result, ...analyze(profile, result.responses), ...analyzeHeap(heap, result.responses) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const us = (x: number) => x.toFixed(1);

/** Markdown for one profile: load figures, time by package, top functions, all per request. */
export function renderProfile(p: ProfileSummary): string {
  return [
    `#### ${p.framework} / ${p.variant}: ${p.load.rps.toFixed(0)} req/s while profiled; busy ${us(p.busyUsPerRequest)} µs/req, of which in session-policy code and what it calls ${us(p.oursUsPerRequest)} µs/req`,
    '',
    `Allocated (sampled heap profile, collected objects included): ${p.allocatedBytesPerRequest.toFixed(0)} bytes/req, of which by session-policy code and what it calls ${p.oursBytesPerRequest.toFixed(0)} bytes/req${p.oursAllocations.length ? ` (${p.oursAllocations.slice(0, 5).map((a) => `${a.name.replaceAll('|', '\\|')}: ${a.bytesPerRequest.toFixed(1)}`).join('; ')})` : ''}.`,
    '',
    '| top self time | µs/req |',
    '| --- | ---: |',
    ...p.topFunctions.map((s) => `| ${s.name.replaceAll('|', '\\|')} | ${us(s.usPerRequest)} |`),
    '',
  ].join('\n');
}

/**
 * Side by side, µs of self time per request by package (those reaching 1 µs somewhere),
 * for several profiles; the busy time of each is also given against its framework's
 * `session` baseline when that was profiled too.
 */
export function renderComparison(profiles: readonly ProfileSummary[]): string {
  const names = [...new Set(profiles.flatMap((p) => p.byPackage.filter((s) => s.name !== '(idle)' && s.usPerRequest >= 1).slice(0, 12).map((s) => s.name)))];
  const cell = (p: ProfileSummary, name: string) => p.byPackage.find((s) => s.name === name)?.usPerRequest ?? 0;
  const busy = (p: ProfileSummary) => {
    const base = profiles.find((b) => b.framework === p.framework && b.variant === 'session');
    if (!base || base === p) return `**${us(p.busyUsPerRequest)}**`;
    const delta = p.busyUsPerRequest - base.busyUsPerRequest;
    return `**${us(p.busyUsPerRequest)}** (${delta >= 0 ? '+' : ''}${us(delta)})`;
  };
  const rows = names
    .map((name) => ({ name, values: profiles.map((p) => cell(p, name)) }))
    .sort((a, b) => Math.max(...b.values) - Math.max(...a.values));
  return [
    `| self µs/req by package | ${profiles.map((p) => `${p.framework}/${p.variant}`).join(' | ')} |`,
    `| --- | ${profiles.map(() => '---:').join(' | ')} |`,
    `| **busy (all but idle)** | ${profiles.map(busy).join(' | ')} |`,
    `| in session-policy code and what it calls | ${profiles.map((p) => us(p.oursUsPerRequest)).join(' | ')} |`,
    `| bytes/req allocated, all (sampled) | ${profiles.map((p) => p.allocatedBytesPerRequest.toFixed(0)).join(' | ')} |`,
    `| bytes/req allocated by session-policy code and what it calls | ${profiles.map((p) => p.oursBytesPerRequest.toFixed(0)).join(' | ')} |`,
    ...rows.map((r) => `| ${r.name} | ${r.values.map((v) => us(v)).join(' | ')} |`),
    '',
  ].join('\n');
}

/** Parses `framework/variant`. */
export function parseTarget(text: string): { framework: Framework; variant: Variant } {
  const [framework, variant] = text.split('/') as [Framework, Variant];
  if (!FRAMEWORKS.includes(framework) || !VARIANTS.includes(variant)) {
    throw new Error(`"${text}": give framework/variant, e.g. express/policy-embedded (${FRAMEWORKS.join(', ')} / ${VARIANTS.join(', ')})`);
  }
  return { framework, variant };
}

/**
 * Profiles the variants one after the other and renders a comparison and each profile.
 *
 * @param targets - `framework/variant` strings.
 * @param duration - seconds of load per variant.
 */
export async function profileVariants(targets: readonly string[], duration: number): Promise<string> {
  const parsed = targets.map(parseTarget);
  const redis = parsed.some((t) => usesRedis(t.variant)) ? await startRedisServer() : undefined;
  const postgres = parsed.some((t) => usesPostgres(t.variant)) ? await startPostgresServer() : undefined;
  const profiles: ProfileSummary[] = [];
  try {
    for (const { framework, variant } of parsed) profiles.push(await profileVariant(framework, variant, duration, redis, postgres));
  } finally {
    await redis?.stop();
    await postgres?.destroy();
  }
  return [renderComparison(profiles), ...profiles.map(renderProfile)].join('\n');
}
