import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClient } from '@keyv/redis';
import { freePort, waitForRedis } from './redis-server.js';
import { destroyQuietly } from './destroy-quietly.js';
import { reapOnExit } from './reap-on-exit.js';

const run = promisify(execFile);

/** One `redis-server` process of a test cluster. */
export interface ClusterNode {
  /** Its client port on 127.0.0.1. */
  readonly port: number;
  /** Its cluster bus port (given explicitly: `port + 10000` may not exist or be free). */
  readonly busPort: number;
  /** `127.0.0.1:<port>`. */
  readonly address: string;
  /** Its process id. */
  readonly pid: number;
}

/** Options of {@link startRedisCluster}. */
export interface RedisClusterOptions {
  /** Replicas per master: 0 (three processes) or 1 (six). Default 0. */
  readonly replicas?: 0 | 1;
  /**
   * `cluster-node-timeout` in milliseconds: how long a node may be unreachable before it
   * is considered failing (and its replica may take over). Default 1000.
   */
  readonly nodeTimeout?: number;
  /** The `redis-server` binary. Default `/usr/bin/redis-server` (or `REDIS_SERVER`). */
  readonly binary?: string;
  /** The `redis-cli` binary. Default `/usr/bin/redis-cli` (or `REDIS_CLI`). */
  readonly cli?: string;
}

/** Which master serves a slot. */
export interface SlotOwner {
  readonly slot: number;
  readonly port: number;
  readonly nodeId: string;
}

/** A started test cluster of three masters (and optionally one replica each). */
export interface RedisCluster {
  /** Every process, masters first as created (roles change on failover). */
  readonly nodes: readonly ClusterNode[];
  /** `[{ url }]` for node-redis `createCluster({ rootNodes })`. */
  readonly rootNodes: ReadonlyArray<{ readonly url: string }>;
  /** The temp dir holding the nodes' config files. */
  readonly dir: string;
  /** Sends one command to one node and returns its reply. */
  command(port: number, ...args: string[]): Promise<unknown>;
  /** `CLUSTER KEYSLOT key`. */
  keySlot(key: string): Promise<number>;
  /** The master currently serving a slot, as the given node (default: any live one) sees it. */
  slotOwner(slot: number, askPort?: number): Promise<SlotOwner>;
  /** The master currently serving a key's slot. */
  keyOwner(key: string): Promise<SlotOwner>;
  /** The live masters' ports, with their node ids. */
  masters(): Promise<Array<{ port: number; nodeId: string }>>;
  /**
   * Moves one slot to another master, the way `redis-cli --cluster reshard` does:
   * `SETSLOT IMPORTING` on the target, `SETSLOT MIGRATING` on the source, then
   * `GETKEYSINSLOT` + `MIGRATE … KEYS …` in batches until the slot is empty, then
   * `SETSLOT NODE` on the target, the source and the other masters. Traffic may go on
   * meanwhile (clients get ASK, then MOVED).
   *
   * @param slot - the slot.
   * @param toPort - the target master's port.
   * @param options - `batch`: keys per MIGRATE (default 10); `pause`: a hook awaited
   *   between the steps (after IMPORTING/MIGRATING, after each batch), to let traffic in.
   */
  migrateSlot(slot: number, toPort: number, options?: { batch?: number; pause?: () => Promise<void> }): Promise<void>;
  /**
   * Kills a node (SIGKILL) if it runs and starts it again on the same ports with its
   * cluster config file: it rejoins with its node id and role, and no data (persistence
   * is off). Resolves once it answers PING (not once the cluster is ok again).
   */
  restartNode(port: number): Promise<void>;
  /** Sends a signal to a node (`SIGKILL`: dead; `SIGSTOP`: frozen, `SIGCONT` to thaw). */
  signal(port: number, signal: NodeJS.Signals): void;
  /**
   * Waits until `oldMasterPort` is no longer a master in the live nodes' view and every
   * live node says `cluster_state:ok`; returns the port of the replica that took over.
   */
  waitForFailover(oldMasterPort: number, timeoutMs?: number): Promise<number>;
  /** Waits until every live node says `cluster_state:ok` and all agree on the slots. */
  waitForOk(timeoutMs?: number): Promise<void>;
  /** Kills every process and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts a real local Redis Cluster: three masters (and, with `replicas: 1`, one replica
 * each) on free loopback ports, joined with `redis-cli --cluster create`, persistence
 * off, config files in a temp dir. Resolves when every node says `cluster_state:ok`.
 * Stop it in `test.after.always`.
 *
 * @param options - see {@link RedisClusterOptions}.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const binary = options.binary ?? process.env.REDIS_SERVER ?? '/usr/bin/redis-server';
  const cli = options.cli ?? process.env.REDIS_CLI ?? '/usr/bin/redis-cli';
  const replicas = options.replicas ?? 0;
  const nodeTimeout = options.nodeTimeout ?? 1000;
  const dir = await mkdtemp(join(tmpdir(), 'sp-redis-cluster-'));
  const processes = new Map<number, ChildProcess>();
  const spawnNode = (port: number, busPort: number): ChildProcess => {
    const proc = spawn(
      binary,
      [
        '--port', String(port),
        '--cluster-port', String(busPort),
        '--bind', '127.0.0.1',
        '--dir', dir,
        '--cluster-enabled', 'yes',
        '--cluster-config-file', `nodes-${port}.conf`,
        '--cluster-node-timeout', String(nodeTimeout),
        '--save', '',
        '--appendonly', 'no',
        '--logfile', join(dir, `redis-${port}.log`),
      ],
      { stdio: 'ignore' },
    );
    proc.once('exit', reapOnExit(() => proc.kill('SIGKILL')));
    return proc;
  };
  const clients = new Map<number, ReturnType<typeof createClient>>();
  const nodes: ClusterNode[] = [];
  let stopped = false;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    destroyQuietly(...clients.values());
    clients.clear();
    await Promise.all(
      [...processes.values()].map(
        (proc) =>
          new Promise<void>((resolve) => {
            if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
            proc.once('exit', () => resolve());
            proc.kill('SIGCONT');
            proc.kill('SIGKILL');
          }),
      ),
    );
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const count = 3 * (1 + replicas);
    // One node at a time: its ports are free when picked but released before redis-server
    // binds them, so another process may take one in between; then pick others.
    const startNode = async (attempt: number): Promise<void> => {
      const port = await freePort();
      let busPort = await freePort();
      while (busPort === port) busPort = await freePort();
      const proc = spawnNode(port, busPort);
      let exited: Error | undefined;
      proc.once('exit', (code, sig) => {
        exited = new Error(`redis-server (cluster node) on port ${port} exited (${sig ?? code})`);
      });
      try {
        await waitForRedis(port, 10_000, () => exited);
      } catch (error) {
        proc.kill('SIGKILL');
        if (attempt >= 5) throw error;
        return startNode(attempt + 1);
      }
      processes.set(port, proc);
      nodes.push({ port, busPort, address: `127.0.0.1:${port}`, pid: proc.pid ?? -1 });
    };
    for (let i = 0; i < count; i++) await startNode(1);
    await run(cli, ['--cluster', 'create', ...nodes.map((n) => n.address), '--cluster-replicas', String(replicas), '--cluster-yes'], {
      timeout: 30_000,
    });
  } catch (error) {
    await stop();
    throw error;
  }

  const live = (): ClusterNode[] =>
    nodes.filter((n) => {
      const proc = processes.get(n.port);
      return proc !== undefined && proc.exitCode === null && proc.signalCode === null && !frozen.has(n.port);
    });
  const frozen = new Set<number>();

  const command = async (port: number, ...args: string[]): Promise<unknown> => {
    let client = clients.get(port);
    if (!client) {
      client = createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: false, connectTimeout: 2000 } });
      client.on('error', () => undefined);
      clients.set(port, client);
      try {
        await client.connect();
      } catch (error) {
        clients.delete(port);
        throw error;
      }
    }
    return client.sendCommand(args);
  };

  const nodeLines = async (port: number): Promise<string[][]> =>
    String(await command(port, 'CLUSTER', 'NODES'))
      .trim()
      .split('\n')
      .map((line) => line.split(' '));

  const masters = async (): Promise<Array<{ port: number; nodeId: string }>> => {
    const ask = live()[0];
    if (!ask) throw new Error('no live node');
    return (await nodeLines(ask.port))
      .filter((f) => f[2]?.split(',').includes('master') && !f[2].includes('fail'))
      .map((f) => ({ port: Number(/:(\d+)@/.exec(f[1] ?? '')?.[1]), nodeId: f[0] as string }));
  };

  const slotOwner = async (slot: number, askPort?: number): Promise<SlotOwner> => {
    const port = askPort ?? live()[0]?.port;
    if (port === undefined) throw new Error('no live node');
    for (const f of await nodeLines(port)) {
      if (!f[2]?.split(',').includes('master')) continue;
      for (const range of f.slice(8)) {
        if (range.startsWith('[')) continue; // a slot being imported/migrated
        const [lo, hi] = range.split('-').map(Number) as [number, number | undefined];
        if (slot >= lo && slot <= (hi ?? lo)) return { slot, port: Number(/:(\d+)@/.exec(f[1] ?? '')?.[1]), nodeId: f[0] as string };
      }
    }
    throw new Error(`no master serves slot ${slot}`);
  };

  const keySlot = async (key: string): Promise<number> => Number(await command(live()[0]!.port, 'CLUSTER', 'KEYSLOT', key));

  const waitForOk = async (timeoutMs = 20_000): Promise<void> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      try {
        const views = await Promise.all(
          live().map(async (n) => ({
            info: String(await command(n.port, 'CLUSTER', 'INFO')),
            // Slot ownership only (the flags and link states differ between nodes).
            slots: (await nodeLines(n.port))
              .filter((f) => f.length > 8)
              .map((f) => `${f[0]} ${f.slice(8).filter((r) => !r.startsWith('[')).join(' ')}`)
              .sort()
              .join('\n'),
          })),
        );
        if (views.every((v) => v.info.includes('cluster_state:ok')) && new Set(views.map((v) => v.slots)).size === 1) {
          const replicasReady = await Promise.all(
            live().map(async (n) => {
              const info = String(await command(n.port, 'INFO', 'replication'));
              return !info.includes('role:slave') || info.includes('master_link_status:up');
            }),
          );
          if (replicasReady.every(Boolean)) return;
        }
      } catch {
        // a node still starting or just killed: ask again
      }
      if (Date.now() > until) throw new Error(`the cluster did not reach cluster_state:ok within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  const migrateSlot = async (slot: number, toPort: number, opts: { batch?: number; pause?: () => Promise<void> } = {}): Promise<void> => {
    const batch = opts.batch ?? 10;
    const pause = opts.pause ?? (async () => undefined);
    const source = await slotOwner(slot);
    if (source.port === toPort) throw new Error(`slot ${slot} is already on ${toPort}`);
    const target = (await masters()).find((m) => m.port === toPort);
    if (!target) throw new Error(`${toPort} is not a master`);
    const s = String(slot);
    await command(toPort, 'CLUSTER', 'SETSLOT', s, 'IMPORTING', source.nodeId);
    await command(source.port, 'CLUSTER', 'SETSLOT', s, 'MIGRATING', target.nodeId);
    await pause();
    for (;;) {
      const keys = (await command(source.port, 'CLUSTER', 'GETKEYSINSLOT', s, String(batch))) as string[];
      if (keys.length === 0) break;
      await command(source.port, 'MIGRATE', '127.0.0.1', String(toPort), '', '0', '5000', 'KEYS', ...keys);
      await pause();
    }
    // The target first, then the source (so it answers MOVED, not ASK, from now on),
    // then the other masters, as redis-cli does.
    await command(toPort, 'CLUSTER', 'SETSLOT', s, 'NODE', target.nodeId);
    await command(source.port, 'CLUSTER', 'SETSLOT', s, 'NODE', target.nodeId);
    for (const m of await masters()) {
      if (m.port !== toPort && m.port !== source.port) await command(m.port, 'CLUSTER', 'SETSLOT', s, 'NODE', target.nodeId);
    }
  };

  const signal = (port: number, sig: NodeJS.Signals): void => {
    const proc = processes.get(port);
    if (!proc) throw new Error(`no node on port ${port}`);
    if (sig === 'SIGSTOP') frozen.add(port);
    if (sig === 'SIGCONT') frozen.delete(port);
    if (sig === 'SIGKILL' || sig === 'SIGSTOP') {
      destroyQuietly(clients.get(port));
      clients.delete(port);
    }
    proc.kill(sig);
  };

  const restartNode = async (port: number): Promise<void> => {
    const node = nodes.find((n) => n.port === port);
    const old = processes.get(port);
    if (!node || !old) throw new Error(`no node on port ${port}`);
    if (old.exitCode === null && old.signalCode === null) {
      await new Promise<void>((resolve) => {
        old.once('exit', () => resolve());
        old.kill('SIGCONT');
        old.kill('SIGKILL');
      });
    }
    destroyQuietly(clients.get(port));
    clients.delete(port);
    frozen.delete(port);
    const proc = spawnNode(port, node.busPort);
    processes.set(port, proc);
    (node as { pid: number }).pid = proc.pid ?? -1;
    let exited: Error | undefined;
    proc.once('exit', (code, sig) => {
      exited = new Error(`restarted cluster node on port ${port} exited (${sig ?? code})`);
    });
    await waitForRedis(port, 10_000, () => exited);
  };

  const waitForFailover = async (oldMasterPort: number, timeoutMs = 30_000): Promise<number> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      try {
        const now = await masters();
        if (now.length === 3 && !now.some((m) => m.port === oldMasterPort)) {
          await waitForOk(Math.max(1000, until - Date.now()));
          const promoted = now.find((m) => replicaOf.get(m.port) === oldMasterPort);
          if (promoted) return promoted.port;
        }
      } catch {
        // a node's view is still changing: ask again
      }
      if (Date.now() > until) throw new Error(`no failover of ${oldMasterPort} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  // Which master each replica follows, as created (to tell which one took over).
  const replicaOf = new Map<number, number>();
  try {
    await waitForOk();
    const lines = await nodeLines(nodes[0]!.port);
    const portOf = new Map(lines.map((f) => [f[0], Number(/:(\d+)@/.exec(f[1] ?? '')?.[1])]));
    for (const f of lines) if (f[3] && f[3] !== '-') replicaOf.set(Number(/:(\d+)@/.exec(f[1] ?? '')?.[1]), portOf.get(f[3]) ?? -1);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    nodes,
    rootNodes: nodes.map((n) => ({ url: `redis://${n.address}` })),
    dir,
    command,
    keySlot,
    slotOwner,
    keyOwner: async (key) => slotOwner(await keySlot(key)),
    masters,
    migrateSlot,
    signal,
    restartNode,
    waitForFailover,
    waitForOk,
    stop,
  };
}
