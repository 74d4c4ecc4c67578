/**
 * Destroys Redis clients (node-redis clients or cluster clients) that may already be
 * closed. node-redis throws `ClientClosedError` from `destroy()` when the client closed
 * itself first (its server was killed and it does not reconnect), so a teardown that
 * calls it plainly fails whenever the client noticed the kill before the teardown ran:
 * a race a loaded CI machine loses now and then.
 *
 * @param clients - the clients; `undefined` entries are skipped.
 */
export function destroyQuietly(...clients: Array<{ destroy(): unknown } | undefined | null>): void {
  for (const client of clients) {
    try {
      client?.destroy();
    } catch {
      // already closed
    }
  }
}
