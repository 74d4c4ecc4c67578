import autocannon from 'autocannon';

/** One load run against one server. */
export interface LoadResult {
  /** 200 responses per second over the run. */
  readonly rps: number;
  /** 99th percentile latency of the responses, in milliseconds (to the microsecond, not autocannon's whole ms). */
  readonly p99ms: number;
  /** Responses counted. */
  readonly responses: number;
}

/** Options of {@link load}. */
export interface LoadOptions {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Seconds. */
  readonly duration: number;
  /** A number of requests instead of a duration (the quick mode: some answers however slow the machine). */
  readonly amount?: number;
  /** Concurrent connections. Default 10. */
  readonly connections?: number;
}

/**
 * Drives `GET /hello` with autocannon (keep-alive connections, pipelining 1) for the
 * duration. Every answer must be 200: a single other status or error voids the run (it
 * would no longer measure a signed-in request).
 *
 * @param options - see {@link LoadOptions}.
 */
export async function load(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  const started = performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${options.url}/hello`,
        method: 'GET',
        headers: { ...options.headers },
        connections: options.connections ?? 10,
        pipelining: 1,
        ...(options.amount === undefined ? { duration: options.duration } : { amount: options.amount }),
        // autocannon stops only at a sample tick: short ticks keep the run near its duration.
        sampleInt: 100,
      },
      (error: unknown, res: autocannon.Result) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(res)),
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  });
  const seconds = (performance.now() - started) / 1000;
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    const codes = Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => `${code}×${count}`).join(', ');
    throw new Error(`load on ${options.url}: ${result.non2xx} non-2xx (${codes}), ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  if (latencies.length === 0) throw new Error(`load on ${options.url}: no response in ${options.amount === undefined ? `${options.duration} s` : `${options.amount} requests`}`);
  latencies.sort((a, b) => a - b);
  return { rps: result['2xx'] / seconds, p99ms: quantile(latencies, 0.99), responses: latencies.length };
}

/** The q-quantile of sorted values (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
