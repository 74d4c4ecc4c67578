import test from 'ava';
import { registerScenarios } from '../../../test/http/scenarios.js';
import { startExample } from '../src/app.js';

registerScenarios(test, startExample);
