// The shared scenarios (the live ones included) through the Passport example: every
// login and logout goes through passport's req.login() / req.logout().
import test from 'ava';
import { registerScenarios } from '../../../test/http/scenarios.js';
import { startExample } from '../src/app.js';

registerScenarios(test, startExample);
