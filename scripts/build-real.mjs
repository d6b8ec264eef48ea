// npm run build:real: builds the real Authelia and upstream PocketBase that the tests run against
// into .cache/ from their Go modules, skipping what is already there. Each version is pinned by a
// wrapper module (testkit/real/<name>-<version>/go.mod and go.sum); nothing is fetched but by the
// go command. Usage: node scripts/build-real.mjs [authelia@4.39.20 pocketbase@0.27.1 ...]
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, realBuilds } from '../testkit/real/builds.js';

const run = promisify(execFile);
// The one module of Authelia's build that some module proxies refuse is served from this folder
// where it exists (beside the project, see its README); elsewhere GOPROXY stays as the caller set it.
const LOCAL_GOPROXY = join(ROOT, '..', 'shared', 'goproxy');
const TICK_MS = 20_000;

const wanted = process.argv.slice(2);
const builds = realBuilds().filter((b) => wanted.length === 0 || wanted.includes(`${b.kind}@${b.version}`));
if (builds.length === 0) fail(`nothing to build for ${wanted.join(' ')}; known: ${realBuilds().map((b) => `${b.kind}@${b.version}`).join(' ')}`);

const go = await run('go', ['version']).catch(() => null);
if (!go) {
  fail(
    'Go is not installed. The tests run on the real Authelia and upstream PocketBase, built here from their Go modules: ' +
      'install Go 1.26 or later and gcc (cgo builds Authelia\'s SQLite driver), then run npm run build:real again.',
  );
}

const proxy = await goproxy();
for (const build of builds) {
  if (await isBuilt(build)) {
    console.log(`build:real: ${build.kind} ${build.version} is built (${relative(build.binary)})`);
    continue;
  }
  await buildOne(build, proxy);
}

/** @param {import('../testkit/real/builds.js').RealBuild} build */
async function isBuilt(build) {
  if (!existsSync(build.binary)) return false;
  const out = await run(build.binary, ['--version']).catch(() => null);
  return out !== null && out.stdout.includes(build.version);
}

/**
 * @param {import('../testkit/real/builds.js').RealBuild} build
 * @param {string} proxy
 */
async function buildOne(build, proxy) {
  const started = Date.now();
  console.log(`build:real: building ${build.kind} ${build.version} with ${build.spec.toolchain === 'local' ? 'the local Go' : build.spec.toolchain} (the first build takes a few minutes; later runs reuse .cache/)`);
  await mkdir(dirname(build.binary), { recursive: true });
  const partial = `${build.binary}.partial`;
  const authelia = build.kind === 'authelia';
  const ldflags = authelia
    ? ['-s', '-w', `-X 'github.com/authelia/authelia/v4/internal/utils.BuildTag=v${build.version}'`, "-X 'github.com/authelia/authelia/v4/internal/utils.BuildState=tagged clean'"]
    : ['-s', '-w', `-X 'github.com/pocketbase/pocketbase.Version=${build.version}'`];
  const pkg = authelia ? 'github.com/authelia/authelia/v4/cmd/authelia' : 'github.com/pocketbase/pocketbase/examples/base';
  const args = ['build', '-mod=readonly', '-trimpath', '-o', partial, '-ldflags', [...ldflags, ...build.spec.ldflags].join(' '), pkg];
  const env = {
    ...process.env,
    GOTOOLCHAIN: build.spec.toolchain,
    GOPROXY: proxy,
    GOFLAGS: '',
    // Authelia's SQLite driver (mattn/go-sqlite3) is cgo: without it the binary starts and then fails.
    CGO_ENABLED: authelia ? '1' : '0',
  };
  const ticker = setInterval(() => console.log(`build:real: still building ${build.kind} ${build.version} (${elapsed(started)})`), TICK_MS);
  try {
    await new Promise((done, failed) => {
      const child = spawn('go', args, { cwd: build.module, env, stdio: ['ignore', 'inherit', 'inherit'] });
      child.once('error', failed);
      child.once('exit', (code) => (code === 0 ? done(undefined) : failed(new Error(`go build exited with ${code}`))));
    });
  } catch (error) {
    await rm(partial, { force: true });
    fail(`${build.kind} ${build.version} did not build (${error instanceof Error ? error.message : error}); the go command's output is above. Module: ${relative(build.module)}`);
  } finally {
    clearInterval(ticker);
  }
  await rename(partial, build.binary);
  if (!(await isBuilt(build))) fail(`${relative(build.binary)} was built but its --version does not name ${build.version}`);
  console.log(`build:real: ${build.kind} ${build.version} built in ${elapsed(started)} (${relative(build.binary)})`);
}

async function goproxy() {
  const own = process.env['GOPROXY'] || (await run('go', ['env', 'GOPROXY'])).stdout.trim();
  return existsSync(LOCAL_GOPROXY) ? `file://${LOCAL_GOPROXY},${own}` : own;
}

/** @param {number} since */
function elapsed(since) {
  const s = Math.round((Date.now() - since) / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** @param {string} path */
function relative(path) {
  return path.startsWith(ROOT) ? path.slice(ROOT.length) : path;
}

/** @param {string} message @returns {never} */
function fail(message) {
  console.error(`build:real: ${message}`);
  process.exit(1);
}
