import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseDistribution, type Distribution, type Sampler } from './distribution.js';
import { parseDuration, type Duration } from './duration.js';
import { WorkloadError } from './workload-error.js';

/**
 * A workload as written in `workloads/*.json` (or exported as `default` by a `.ts`
 * file): who uses one account, from what, how often, and how they leave. Every
 * principal of the workload gets the same cast of actors, each drawing its own timings.
 */
export interface WorkloadFile {
  /** Short name, used on the command line (`--workload <name>`) and in tables. */
  readonly name: string;
  /** One sentence: what this workload stands for. */
  readonly description: string;
  /** Where the story comes from (a seed write-up, an issue). */
  readonly source?: string;
  /** The PRNG seed: same seed, same figures. */
  readonly seed: number;
  /** Simulated time, e.g. `"7d"`. */
  readonly duration: Duration;
  /** How many accounts are simulated side by side (more: smoother averages). */
  readonly principals: number;
  /** The session limits scored by default. */
  readonly limits: readonly number[];
  /** A session seen this recently counts as in use ("kicked out" if evicted). Default `"5m"`. */
  readonly activeWindow?: Duration;
  /** The cast: people, devices, attackers. */
  readonly actors: readonly ActorFile[];
}

/**
 * One actor: a browser or app on a device, used by a person or an attacker. It comes and
 * goes in visits; during a visit it makes requests; at the end of a visit it logs out,
 * keeps its cookie, or drops it (a closed tab: the session stays behind, a zombie).
 */
export interface ActorFile {
  /** Name, e.g. `"phone"`. */
  readonly name: string;
  /** `legit` (default) or `attacker`; metrics are split by role. */
  readonly role?: 'legit' | 'attacker';
  /** Copies of this actor per principal (people sharing an account, worker threads). Default 1. */
  readonly count?: number;
  /** The actor's first visit comes one `gap` after this time. Default 0. */
  readonly arrives?: Duration;
  /**
   * The `deviceId` given at login: `stable` (same browser every time, default),
   * `per-login` (a fresh one every login: private windows, an attacker rotating
   * fingerprints) or `none`.
   */
  readonly device?: 'stable' | 'per-login' | 'none';
  /** Probability that the session cookie survives from one visit to the next. Default 1. */
  readonly keepSession?: number;
  /** Probability of an explicit logout at the end of a visit (checked first). Default 0. */
  readonly logout?: number;
  /** Time away between visits. */
  readonly gap: Distribution;
  /** Length of a visit. */
  readonly visit: Distribution;
  /** Time between requests during a visit. */
  readonly requestEvery: Distribution;
  /** After a refused login, try again this much later (while the visit lasts). Default `"5m"`. */
  readonly retryEvery?: Distribution;
  /** Visits start on multiples of this (cron-like jobs: every worker starts at once). */
  readonly align?: Duration;
}

/** A validated workload, durations in milliseconds and distributions as samplers. */
export interface Workload {
  readonly name: string;
  readonly description: string;
  readonly source: string | undefined;
  readonly seed: number;
  readonly duration: number;
  readonly principals: number;
  readonly limits: readonly number[];
  readonly activeWindow: number;
  readonly actors: readonly Actor[];
  /** Whether any actor is an attacker (attacker metrics apply). */
  readonly hasAttacker: boolean;
}

/** A validated actor (see {@link ActorFile}). */
export interface Actor {
  readonly name: string;
  readonly role: 'legit' | 'attacker';
  readonly count: number;
  readonly arrives: number;
  readonly device: 'stable' | 'per-login' | 'none';
  readonly keepSession: number;
  readonly logout: number;
  readonly gap: Sampler;
  readonly visit: Sampler;
  readonly requestEvery: Sampler;
  readonly retryEvery: Sampler;
  readonly align: number;
}

/** The directory of the built-in workloads. */
export const WORKLOADS_DIR = fileURLToPath(new URL('./workloads/', import.meta.url));

/**
 * Validates a workload, with errors that name the field.
 *
 * @param file - the workload as written.
 */
export function parseWorkload(file: WorkloadFile): Workload {
  if (file === null || typeof file !== 'object') throw new WorkloadError('workload', 'must be an object');
  const name = text(file.name, 'name');
  const where = (field: string): string => `${name}.${field}`;
  const seed = file.seed;
  if (!Number.isInteger(seed)) throw new WorkloadError(where('seed'), 'must be an integer');
  const limits = file.limits;
  if (!Array.isArray(limits) || limits.length === 0 || !limits.every((l) => Number.isInteger(l) && l >= 1)) {
    throw new WorkloadError(where('limits'), 'must be a non-empty array of integers ≥ 1');
  }
  if (!Array.isArray(file.actors) || file.actors.length === 0) throw new WorkloadError(where('actors'), 'must be a non-empty array');
  const actors = file.actors.map((a, i) => parseActor(a, where(`actors[${i}]`)));
  return {
    name,
    description: text(file.description, where('description')),
    source: file.source === undefined ? undefined : text(file.source, where('source')),
    seed,
    duration: positive(parseDuration(file.duration, where('duration')), where('duration')),
    principals: count(file.principals, where('principals')),
    limits: [...limits],
    activeWindow: parseDuration(file.activeWindow ?? '5m', where('activeWindow')),
    actors,
    hasAttacker: actors.some((a) => a.role === 'attacker'),
  };
}

function parseActor(a: ActorFile, where: string): Actor {
  if (a === null || typeof a !== 'object') throw new WorkloadError(where, 'must be an object');
  const role = a.role ?? 'legit';
  if (role !== 'legit' && role !== 'attacker') throw new WorkloadError(`${where}.role`, "must be 'legit' or 'attacker'");
  const device = a.device ?? 'stable';
  if (device !== 'stable' && device !== 'per-login' && device !== 'none') {
    throw new WorkloadError(`${where}.device`, "must be 'stable', 'per-login' or 'none'");
  }
  return {
    name: text(a.name, `${where}.name`),
    role,
    count: count(a.count ?? 1, `${where}.count`),
    arrives: parseDuration(a.arrives ?? 0, `${where}.arrives`),
    device,
    keepSession: probability(a.keepSession ?? 1, `${where}.keepSession`),
    logout: probability(a.logout ?? 0, `${where}.logout`),
    gap: parseDistribution(a.gap, `${where}.gap`),
    visit: parseDistribution(a.visit, `${where}.visit`),
    requestEvery: parseDistribution(a.requestEvery, `${where}.requestEvery`),
    retryEvery: parseDistribution(a.retryEvery ?? '5m', `${where}.retryEvery`),
    align: parseDuration(a.align ?? 0, `${where}.align`),
  };
}

/**
 * Loads a workload by name (a file in {@link WORKLOADS_DIR}) or by path to a `.json`
 * or `.ts`/`.js` file (whose default export is a {@link WorkloadFile}).
 *
 * @param nameOrPath - e.g. `multi-device` or `./my-workload.json`.
 */
export async function loadWorkload(nameOrPath: string): Promise<Workload> {
  const candidates = /[/\\]|\.(json|ts|js|mjs)$/.test(nameOrPath)
    ? [resolve(nameOrPath)]
    : ['.json', '.ts'].map((ext) => join(WORKLOADS_DIR, nameOrPath + ext));
  for (const path of candidates) {
    let file: WorkloadFile;
    try {
      file = await readWorkloadFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') continue;
      throw error;
    }
    return parseWorkload(file);
  }
  const known = (await defaultWorkloadNames()).join(', ');
  throw new WorkloadError('--workload', `"${nameOrPath}" is neither a built-in workload (${known}) nor a workload file`);
}

/** The names of the built-in workloads, in file-name order. */
export async function defaultWorkloadNames(): Promise<string[]> {
  const files = await readdir(WORKLOADS_DIR);
  return files
    .filter((f) => f.endsWith('.json') || (f.endsWith('.ts') && !f.endsWith('.d.ts')))
    .map((f) => basename(f, extname(f)))
    .sort();
}

async function readWorkloadFile(path: string): Promise<WorkloadFile> {
  if (path.endsWith('.json')) return JSON.parse(await readFile(path, 'utf8')) as WorkloadFile;
  const module = (await import(pathToFileURL(path).href)) as { default?: WorkloadFile };
  if (module.default === undefined) throw new WorkloadError(path, 'must export the workload as default');
  return module.default;
}

function text(value: unknown, where: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new WorkloadError(where, 'must be a non-empty string');
  return value;
}

function count(value: unknown, where: string): number {
  if (!Number.isInteger(value) || (value as number) < 1) throw new WorkloadError(where, 'must be an integer ≥ 1');
  return value as number;
}

function probability(value: unknown, where: string): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new WorkloadError(where, 'must be a probability in [0, 1]');
  return value;
}

function positive(ms: number, where: string): number {
  if (!(ms > 0)) throw new WorkloadError(where, 'must be more than 0');
  return ms;
}
