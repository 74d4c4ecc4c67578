import { createServer, connect, type Server, type Socket } from 'node:net';

/** A TCP proxy on a free loopback port in front of a Redis (see {@link startTcpProxy}). */
export interface TcpProxy {
  /** The port it listens on. */
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /**
   * From now on, silently drops what Redis sends on every connection that has subscribed
   * (sent `SUBSCRIBE`), the ones open now and the ones to come: the connections stay
   * open, commands still reach Redis, nothing comes back. Other connections are untouched.
   */
  muteSubscribers(): void;
  /** Stops dropping (bytes dropped meanwhile stay lost). */
  unmute(): void;
  /** How many connections have subscribed so far. */
  subscribers(): number;
  /** Closes the listener and every connection. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a TCP proxy to `127.0.0.1:<targetPort>`, to cut a bus subscription silently (a
 * middlebox that stops forwarding, a half-dead NAT entry) while everything else works.
 *
 * @param targetPort - the Redis port.
 */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<{ client: Socket; upstream: Socket; subscriber: boolean }>();
  let muted = false;
  const server: Server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    const pair = { client, upstream, subscriber: false };
    pairs.add(pair);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.on('data', (chunk: Buffer) => {
      // RESP arrays of bulk strings: the command name is a bulk string on its own line.
      if (!pair.subscriber && /\r\n(P?SUBSCRIBE)\r\n/i.test(chunk.toString('latin1'))) pair.subscriber = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (muted && pair.subscriber) return;
      client.write(chunk);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  let closed = false;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    muteSubscribers: () => {
      muted = true;
    },
    unmute: () => {
      muted = false;
    },
    subscribers: () => [...pairs].filter((p) => p.subscriber).length,
    close: async () => {
      if (closed) return;
      closed = true;
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
