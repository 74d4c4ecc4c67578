// What a user installs from the registry: build every package, `npm pack` it, install the
// tarballs into a fresh app outside the workspace (in the OS temp dir, with express and
// express-session from the registry), then run a two-device scenario through Express as
// an ES module and as CommonJS, and type-check strict `nodenext` consumers (ESM, CommonJS,
// a browser page). One install is shared by every check.
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ESM_SCENARIO, CJS_SCENARIO, ESM_CONSUMER, CJS_CONSUMER, BROWSER_CONSUMER, tsconfigFor } from './scratch-app.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const WORKSPACE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
const npm = (args: string[], cwd: string) =>
  run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, maxBuffer: 64 << 20, env: { ...process.env, npm_config_update_notifier: 'false' } });

/** The publishable packages: workspaces that are not private. */
const PACKAGES = WORKSPACE.workspaces
  .filter((w) => !w.includes('*'))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as Manifest }))
  .filter((p) => !p.manifest.private);

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  repository?: { directory?: string };
  publishConfig?: { access?: string };
  license?: string;
  peerDependencies?: Record<string, string>;
}

interface Packed {
  name: string;
  filename: string;
  files: { path: string }[];
}

/** The workspace's installed version of a dependency, so the scratch install hits npm's cache. */
function installedVersion(name: string): string {
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

const scratch = mkdtempSync(join(tmpdir(), 'session-policy-release-'));
test.after.always(() => rmSync(scratch, { recursive: true, force: true }));

let prepared: Promise<Packed[]> | undefined;
/** Build, pack and install once; every test awaits the same promise. */
function prepare(): Promise<Packed[]> {
  prepared ??= (async () => {
    await npm(['run', 'build'], ROOT);
    const { stdout } = await npm(['pack', '--json', '--pack-destination', scratch, ...PACKAGES.map((p) => `--workspace=${p.dir}`)], ROOT);
    const packed = JSON.parse(stdout) as Packed[];
    const dependencies: Record<string, string> = {};
    for (const p of packed) dependencies[p.name] = `file:./${p.filename}`;
    for (const name of ['express', 'express-session', '@keyv/redis']) dependencies[name] = installedVersion(name);
    const devDependencies: Record<string, string> = {};
    for (const name of ['@types/express', '@types/express-session', '@types/node']) devDependencies[name] = installedVersion(name);
    writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch-app', private: true, dependencies, devDependencies }, null, 2));
    // Peers are listed above where the checks need them; the others (koa, hapi, ava) are not installed.
    await npm(['install', '--prefer-offline', '--legacy-peer-deps', '--no-package-lock'], scratch);
    writeFileSync(join(scratch, 'scenario.mjs'), ESM_SCENARIO);
    writeFileSync(join(scratch, 'scenario.cjs'), CJS_SCENARIO);
    writeFileSync(join(scratch, 'consumer.mts'), ESM_CONSUMER);
    writeFileSync(join(scratch, 'consumer.cts'), CJS_CONSUMER);
    writeFileSync(join(scratch, 'page.mts'), BROWSER_CONSUMER);
    writeFileSync(join(scratch, 'tsconfig.json'), JSON.stringify(tsconfigFor(['consumer.mts', 'consumer.cts'], ['ES2023'], ['node'])));
    writeFileSync(join(scratch, 'tsconfig.page.json'), JSON.stringify(tsconfigFor(['page.mts'], ['ES2023', 'DOM'], [])));
    return packed;
  })();
  return prepared;
}

test('every publishable package carries its metadata', (t) => {
  t.true(PACKAGES.length >= 8);
  for (const { dir, manifest } of PACKAGES) {
    t.is(manifest.license, 'MIT', manifest.name);
    t.is(manifest.repository?.directory, dir, manifest.name);
    t.is(manifest.publishConfig?.access, 'public', manifest.name);
  }
});

test('each tarball holds README.md, LICENSE, compiled code and no TypeScript build info', async (t) => {
  const packed = await prepare();
  t.deepEqual(packed.map((p) => p.name).sort(), PACKAGES.map((p) => p.manifest.name).sort());
  for (const p of packed) {
    const files = new Set(p.files.map((f) => f.path));
    t.true(files.has('README.md'), `${p.name}: README.md`);
    t.true(files.has('LICENSE'), `${p.name}: LICENSE`);
    t.true(files.has('dist/index.js') && files.has('dist/index.d.ts'), `${p.name}: dist`);
    t.false([...files].some((f) => f.endsWith('.tsbuildinfo')), `${p.name}: no .tsbuildinfo`);
  }
  t.true(packed.find((p) => p.name === '@session-policy/redis')!.files.some((f) => f.path.startsWith('dist/scripts/') && f.path.endsWith('.lua')), 'the Lua scripts ship');
});

const EXPECTED = {
  loginA: { status: 200, ok: true, ended: 0 },
  meA: { status: 200, user: 'alice' },
  loginB: { status: 200, ok: true, ended: 1 },
  meAAfter: { status: 401, error: 'session_ended', reason: 'evicted' },
  meB: { status: 200, user: 'alice' },
  meAAgain: { status: 200, user: null },
  evicted: 1,
};

for (const [kind, file] of [['an ES module', 'scenario.mjs'], ['CommonJS', 'scenario.cjs']] as const) {
  test(`two devices through Express from the installed tarballs, as ${kind}`, async (t) => {
    await prepare();
    const { stdout } = await run(process.execPath, [file], { cwd: scratch, timeout: 60_000 });
    t.deepEqual(JSON.parse(stdout), EXPECTED);
  });
}

test('a strict nodenext TypeScript consumer type-checks against the tarballs (ESM, CommonJS, a page)', async (t) => {
  await prepare();
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const checks = await Promise.allSettled([
    run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: scratch }),
    run(process.execPath, [tsc, '-p', 'tsconfig.page.json'], { cwd: scratch }),
  ]);
  for (const check of checks) {
    if (check.status === 'rejected') {
      const error = check.reason as { stdout?: string; stderr?: string };
      t.fail(`tsc: ${error.stdout ?? ''}${error.stderr ?? ''}`);
    }
  }
  t.pass();
});

test('the scratch app resolves the packages outside the workspace, to dist', async (t) => {
  await prepare();
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', "console.log(import.meta.resolve('@session-policy/core'))"], { cwd: scratch });
  t.false(stdout.includes(ROOT), stdout);
  t.regex(stdout.trim(), /node_modules\/@session-policy\/core\/dist\/index\.js$/);
});
