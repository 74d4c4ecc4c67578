import type { Server } from 'node:http';

/** A variant's app, listening on a free loopback port. */
export interface BenchServer {
  /** The listening Node server (its address gives the port). */
  readonly server: Server;
  /** Stops listening and closes the registry (and its store). */
  close(): Promise<void>;
}
