#!/usr/bin/env node
// `npm test`: makes sure the servers the tests start exist (installs redis-server through
// apt when missing and running as root), runs ava over every package, and ends with one
// line of totals: "N passed, N failed".
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

if (!has('redis-server')) {
  if (process.getuid?.() === 0 && has('apt-get')) {
    console.log('redis-server is missing: installing it with apt-get (root) …');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    spawnSync('apt-get', ['install', '-y', '-qq', 'redis-server'], { stdio: 'inherit', env });
  }
  if (!has('redis-server')) {
    console.error('redis-server is required by the Redis tests: install it (Debian/Ubuntu: `sudo apt-get install -y redis-server`) and run npm test again.');
    process.exit(1);
  }
}

const args = ['--tap', ...process.argv.slice(2)];
const ava = spawn(process.execPath, ['node_modules/ava/entrypoints/cli.mjs', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
let passed = 0;
let failed = 0;
let skipped = 0;
let todo = 0;
const lines = createInterface({ input: ava.stdout });
lines.on('line', (line) => {
  console.log(line);
  let m;
  if ((m = /^# pass (\d+)/.exec(line))) passed = Number(m[1]);
  else if ((m = /^# fail (\d+)/.exec(line))) failed = Number(m[1]);
  else if ((m = /^# skip (\d+)/.exec(line))) skipped = Number(m[1]);
  else if ((m = /^# todo (\d+)/.exec(line))) todo = Number(m[1]);
});
ava.on('close', (code) => {
  // A crash or a failed hook fails the run even when no single test is counted as failed.
  if (code !== 0 && failed === 0) failed = 1;
  console.log(`${passed} passed, ${failed} failed${skipped + todo ? `, ${skipped + todo} skipped` : ''}`);
  process.exit(code ?? 1);
});
