// The shared scenarios again, with the example built on Express 4 (the adapter supports 4 and 5).
import { createRequire } from 'node:module';
import test from 'ava';
import express4 from 'express4';
import { registerScenarios } from '../../../test/http/scenarios.js';
import { startExample } from '../src/app.js';

test('the alias resolves to Express 4', (t) => {
  t.regex((createRequire(import.meta.url)('express4/package.json') as { version: string }).version, /^4\./);
});

registerScenarios(test, (options) => startExample({ ...options, express: express4 }));
