#!/usr/bin/env node
// `npm test`: makes sure the programs the tests start are installed (through apt-get when
// missing and running as root, else a message saying how), runs ava over every package,
// and ends with one line of totals: "N passed, N failed, N skipped" (then, if anything was
// skipped, one line per reason).
//
// `node scripts/test.mjs --install` only installs what is missing (`.ci/run` uses it).
// Any other arguments are ava's (files, flags), run in one pass.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** Whether a command is on the PATH. */
function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Whether a file exists and is executable. */
function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Installs Debian packages with apt-get, when running as root on a system that has it.
 * Returns why it could not, or `undefined` once apt-get ran (check the tools again: a
 * package may still fail to install).
 *
 * @param {readonly string[]} packages - Debian package names.
 * @returns {string | undefined}
 */
function aptInstall(packages) {
  if (packages.length === 0) return undefined;
  if (process.getuid?.() !== 0) return 'not running as root';
  if (!has('apt-get')) return 'no apt-get on this system';
  console.log(`installing ${packages.join(', ')} with apt-get (root) …`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const install = spawnSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: 'inherit', env });
  return install.status === 0 ? undefined : `apt-get install ${packages.join(' ')} exited with ${install.status}`;
}

// The programs the tests start. `required`: without it the run stops; otherwise the tests
// that need it are skipped, and the totals say so.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TOOLS = [
  {
    name: 'redis-server',
    packages: ['redis-server'],
    present: () => has('redis-server') && has('redis-cli'),
    required: true,
    how: 'Debian/Ubuntu: `sudo apt-get install -y redis-server`',
  },
  {
    name: 'postgresql (initdb, postgres)',
    packages: ['postgresql'],
    present: () => spawnSync('sh', ['-c', 'ls /usr/lib/postgresql/*/bin/initdb'], { stdio: 'ignore' }).status === 0,
    required: true,
    how: 'Debian/Ubuntu: `sudo apt-get install -y postgresql`',
  },
  {
    name: `chromium (${CHROMIUM})`,
    packages: ['chromium'],
    present: () => executable(CHROMIUM),
    required: false,
    how: 'Debian/Ubuntu: `sudo apt-get install -y chromium`, or set CHROMIUM_PATH to a Chromium binary',
  },
];

/** Installs the missing tools; returns the ones still missing, with the reason. */
function ensureTools() {
  const missing = TOOLS.filter((tool) => !tool.present());
  const why = aptInstall(missing.flatMap((tool) => tool.packages));
  return missing.filter((tool) => !tool.present()).map((tool) => ({ tool, why: why ?? 'apt-get did not install it' }));
}

const args = process.argv.slice(2);
const stillMissing = ensureTools();
for (const { tool, why } of stillMissing) {
  const message = `${tool.name} is missing and could not be installed (${why}): ${tool.how}.`;
  if (tool.required) {
    console.error(`${message} The tests need it; install it and run npm test again.`);
    process.exit(1);
  }
  console.error(`${message} Its tests will be skipped.`);
}
if (args[0] === '--install') process.exit(0);

// Two passes: every suite but the Redis Cluster ones (two files at a time), then the
// cluster suites one file at a time. They kill and move cluster nodes and time the
// recovery: sharing the two cores with other suites starves them.
const CLUSTER = 'packages/redis/test/cluster*.test.ts';
const ALL = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).ava.files;
const passes = args.length > 0 ? [args] : [[...ALL, `!${CLUSTER}`], [CLUSTER, '--concurrency=1']];

let passed = 0;
let failed = 0;
const skips = [];
for (const files of passes) {
  const totals = await runAva(files);
  passed += totals.passed;
  failed += totals.failed;
  skips.push(...totals.skips);
}
// A skip is acceptable only when a tool could not be installed; otherwise it is a failure.
const excused = stillMissing.length > 0;
if (skips.length > 0 && !excused) failed += skips.length;
console.log(`${passed} passed, ${failed} failed, ${skips.length} skipped`);
if (skips.length > 0) {
  const reason = excused
    ? stillMissing.map(({ tool, why }) => `${tool.name} is missing (${why})`).join('; ')
    : 'nothing was missing, so each skip counts as a failure';
  console.log(`skipped because ${reason}: ${skips.join(' | ')}`);
}
process.exit(failed > 0 ? 1 : 0);

function runAva(avaArgs) {
  return new Promise((resolve) => {
    const ava = spawn(process.execPath, ['node_modules/ava/entrypoints/cli.mjs', '--tap', ...avaArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
    const totals = { passed: 0, failed: 0, skips: [] };
    const lines = createInterface({ input: ava.stdout });
    lines.on('line', (line) => {
      console.log(line);
      let m;
      if ((m = /^# pass (\d+)/.exec(line))) totals.passed = Number(m[1]);
      else if ((m = /^# fail (\d+)/.exec(line))) totals.failed = Number(m[1]);
      else if ((m = /^(?:not )?ok \d+ - (.*?)\s*# (?:SKIP|TODO)\b/i.exec(line))) totals.skips.push(m[1]);
    });
    ava.on('close', (code) => {
      // A crash or a failed hook fails the run even when no single test is counted as failed.
      if (code !== 0 && totals.failed === 0) totals.failed = 1;
      resolve(totals);
    });
  });
}
