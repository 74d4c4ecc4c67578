// The bad bodies every Express-based example is tried with: bodies the parsers refuse (413
// too large, 415 unsupported charset or encoding, 400 malformed) must get the parser's
// status and error type, nothing may be logged as a crash, and the app must still serve
// afterwards. This file sends them and reports what came back; the tests assert.
import type { RunningExample } from './example-options.js';

/** A refused body, with the answer it must get. */
export interface BadBody {
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly status: number;
  readonly error: string;
}

/** The bodies, each with the status and `error` the parser gives it. */
export const BAD_BODIES: readonly BadBody[] = [
  { body: JSON.stringify({ username: 'a'.repeat(40_000) }), headers: { 'content-type': 'application/json' }, status: 413, error: 'entity.too.large' },
  { body: '{}', headers: { 'content-type': 'application/json; charset=utf-99' }, status: 415, error: 'charset.unsupported' },
  { body: '{}', headers: { 'content-type': 'application/json', 'content-encoding': 'br2' }, status: 415, error: 'encoding.unsupported' },
  { body: '{"username":', headers: { 'content-type': 'application/json' }, status: 400, error: 'entity.parse.failed' },
];

/** What {@link postBadBodies} saw. */
export interface BadBodyAnswers {
  /** Each bad body's answer, in the order of {@link BAD_BODIES}. */
  readonly answers: ReadonlyArray<{ readonly status: number; readonly body: unknown }>;
  /** What was written to `console.error` meanwhile (a crash's stack trace lands there). */
  readonly logged: readonly unknown[];
  /** The status of a good login sent afterwards. */
  readonly afterwards: number;
}

/** Posts {@link BAD_BODIES} to `/login` of a started example, then one good login. */
export async function postBadBodies(app: RunningExample): Promise<BadBodyAnswers> {
  const logged: unknown[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void logged.push(args);
  const post = (body: string, headers: Readonly<Record<string, string>>) =>
    fetch(`${app.url}/login`, { method: 'POST', headers: { accept: 'application/json', ...headers }, body });
  try {
    const answers = [];
    for (const c of BAD_BODIES) {
      const response = await post(c.body, c.headers);
      answers.push({ status: response.status, body: (await response.json()) as unknown });
    }
    const afterwards = (await post(JSON.stringify({ username: 'alice', password: 'alice-pw' }), { 'content-type': 'application/json' })).status;
    return { answers, logged, afterwards };
  } finally {
    console.error = original;
  }
}
