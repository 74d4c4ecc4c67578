// `npm start -w examples/fastify`: the example on PORT (default 3000); SESSION_PLUGIN=secure-session
// keeps the session in an encrypted cookie instead of @fastify/session's memory store.
import { serve } from '../../shared/src/serve.js';
import { startExample } from './app.js';

const sessionPlugin = process.env.SESSION_PLUGIN === 'secure-session' ? 'secure-session' : 'session';
await serve(`Fastify (@fastify/${sessionPlugin})`, (options) => startExample({ ...options, sessionPlugin }));
