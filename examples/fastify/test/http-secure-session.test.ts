// The shared scenarios (the live ones included) through the Fastify example on
// @fastify/secure-session (the whole session in an encrypted cookie).
import test from 'ava';
import { registerScenarios } from '../../../test/http/scenarios.js';
import { startExample } from '../src/app.js';

registerScenarios(test, (options) => startExample({ ...options, sessionPlugin: 'secure-session' }));
