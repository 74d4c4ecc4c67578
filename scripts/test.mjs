#!/usr/bin/env node
// `npm test`: makes sure the servers the tests start exist (installs redis-server through
// apt when missing and running as root), runs ava over every package, and ends with one
// line of totals: "N passed, N failed".
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

// The Postgres tests run Debian's server binaries (initdb, postgres) from /usr/lib/postgresql.
const hasInitdb = () => spawnSync('sh', ['-c', 'ls /usr/lib/postgresql/*/bin/initdb'], { stdio: 'ignore' }).status === 0;
if (!hasInitdb() && process.getuid?.() === 0 && has('apt-get')) {
  console.log('postgresql is missing: installing it with apt-get (root) …');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  spawnSync('apt-get', ['install', '-y', '-qq', 'postgresql'], { stdio: 'inherit', env });
}

// Two passes: every suite but the Redis Cluster ones (two files at a time), then the
// cluster suites one file at a time. They kill and move cluster nodes and time the
// recovery: sharing the two cores with other suites starves them.
const CLUSTER = 'packages/redis/test/cluster*.test.ts';
const extra = process.argv.slice(2);
const ALL = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).ava.files;
const passes = extra.length > 0 ? [extra] : [[...ALL, `!${CLUSTER}`], [CLUSTER, '--concurrency=1']];

let passed = 0;
let failed = 0;
let skipped = 0;
for (const files of passes) {
  const totals = await runAva(files);
  passed += totals.passed;
  failed += totals.failed;
  skipped += totals.skipped;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);

function runAva(args) {
  return new Promise((resolve) => {
    const ava = spawn(process.execPath, ['node_modules/ava/entrypoints/cli.mjs', '--tap', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    const totals = { passed: 0, failed: 0, skipped: 0 };
    const lines = createInterface({ input: ava.stdout });
    lines.on('line', (line) => {
      console.log(line);
      let m;
      if ((m = /^# pass (\d+)/.exec(line))) totals.passed = Number(m[1]);
      else if ((m = /^# fail (\d+)/.exec(line))) totals.failed = Number(m[1]);
      else if ((m = /^# (?:skip|todo) (\d+)/.exec(line))) totals.skipped += Number(m[1]);
    });
    ava.on('close', (code) => {
      // A crash or a failed hook fails the run even when no single test is counted as failed.
      if (code !== 0 && totals.failed === 0) totals.failed = 1;
      resolve(totals);
    });
  });
}
