import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  loadConfig,
  loadDevConfig,
  requireServiceConfig,
  type Config,
  type DevConfig,
} from '../src/config';

const VALID_KEY = 'root-0123456789abcdef';
const SECRETS_KEY = Buffer.alloc(32, 7).toString('base64');

/** The ConfigError `fn` throws (fails the test if it returns or throws something else). */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, but nothing was thrown');
}

describe('loadConfig', () => {
  it('applies the documented defaults when the environment is empty', () => {
    const config = loadConfig({});
    expect(config).toEqual<Config>({
      env: 'development',
      port: 3000,
      rootApiKey: undefined,
      mongoUri: undefined,
      temporalAddress: undefined,
      namespace: 'default',
      taskQueue: 'switchboard',
      maxActiveWorkflows: 100,
      logLevel: 'info',
      retry: {
        maximumAttempts: 5,
        initialIntervalMs: 1000,
        maximumIntervalMs: 60_000,
        backoffCoefficient: 2,
        startToCloseTimeoutMs: 60_000,
      },
      maxEventDepth: 8,
      triggerEval: { threads: 2, timeoutMs: 250 },
      temporalLogLevel: 'WARN',
      eagerWorkflowStart: true,
      scheduling: { runsPerWindow: 1000, maxChainDepth: 100 },
      secretsKey: undefined,
      outbound: {
        allowHosts: [],
        timeoutMs: 10_000,
        maxResponseBytes: 1_048_576,
        throttle: {
          perHost: { ratePerSecond: 20, burst: 20 },
          perOrg: { ratePerSecond: 50, burst: 50 },
          maxWaitMs: 2_000,
        },
      },
      hooks: {
        publicUrl: undefined,
        emailDomain: 'hooks.switchboard.localhost',
        secretGraceMs: 86_400_000,
        ratePerSecond: 1000 / 60,
        burst: 1000,
      },
      workerTuning: {},
      webhooks: {
        retryScheduleMs: [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, ...Array<number>(6).fill(36_000_000)],
        disableAfterMs: 432_000_000,
        timeoutMs: 15_000,
        subscriptionCacheMs: 5_000,
        secretGraceMs: 86_400_000,
      },
    });
  });

  it('reads the outbound allow list as a trimmed comma list, and names a bad rate', () => {
    expect(loadConfig({ OUTBOUND_ALLOW_HOSTS: ' 127.0.0.1, localhost ,,' }).outbound.allowHosts).toEqual([
      '127.0.0.1',
      'localhost',
    ]);
    expect(configError(() => loadConfig({ OUTBOUND_RATE_PER_HOST: '0' })).message).toContain('OUTBOUND_RATE_PER_HOST');
  });

  it('reads the webhook retry schedule as a comma list of milliseconds, and names a bad one', () => {
    expect(loadConfig({ WEBHOOK_RETRY_SCHEDULE_MS: '100, 200,0' }).webhooks.retryScheduleMs).toEqual([100, 200, 0]);
    expect(() => loadConfig({ WEBHOOK_RETRY_SCHEDULE_MS: '5s,10s' })).toThrow(
      /WEBHOOK_RETRY_SCHEDULE_MS: must be a comma list of whole milliseconds/,
    );
    expect(() => loadConfig({ WEBHOOK_DISABLE_AFTER_MS: '0' })).toThrow(/WEBHOOK_DISABLE_AFTER_MS: must be at least 1/);
  });

  it('reads the hook settings, and names a bad value', () => {
    const config = loadConfig({
      PUBLIC_URL: 'https://hooks.example.com/',
      HOOKS_EMAIL_DOMAIN: 'In.Example.com',
      HOOK_SECRET_GRACE_MS: '5000',
      HOOK_RATE_PER_SECOND: '0.5',
      HOOK_RATE_BURST: '3',
    });
    expect(config.hooks).toEqual({
      publicUrl: 'https://hooks.example.com',
      emailDomain: 'in.example.com',
      secretGraceMs: 5000,
      ratePerSecond: 0.5,
      burst: 3,
    });
    expect(() => loadConfig({ PUBLIC_URL: 'ftp://x.example' })).toThrow(/PUBLIC_URL: must be an http\(s\) URL/);
    expect(() => loadConfig({ HOOKS_EMAIL_DOMAIN: 'not a domain' })).toThrow(/HOOKS_EMAIL_DOMAIN: must be a domain/);
    expect(() => loadConfig({ HOOK_RATE_PER_SECOND: '0' })).toThrow(/HOOK_RATE_PER_SECOND/);
    expect(() => loadConfig({ HOOK_RATE_BURST: '0' })).toThrow(/HOOK_RATE_BURST/);
  });

  it('reads worker tuning and eager start, and names a bad value', () => {
    const config = loadConfig({
      TEMPORAL_EAGER_START: 'false',
      WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '20',
      WORKER_WORKFLOW_TASK_POLLERS: '4',
      WORKER_MAX_CACHED_WORKFLOWS: '0',
    });
    expect(config.eagerWorkflowStart).toBe(false);
    expect(config.workerTuning).toEqual({
      maxConcurrentWorkflowTaskExecutions: 20,
      maxConcurrentWorkflowTaskPolls: 4,
      maxCachedWorkflows: 0,
    });
    expect(() => loadConfig({ WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: '0' })).toThrow(
      /WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES/,
    );
    expect(() => loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '-1' })).toThrow(/WORKER_MAX_CACHED_WORKFLOWS/);
    expect(() => loadConfig({ TEMPORAL_EAGER_START: 'yes' })).toThrow(/TEMPORAL_EAGER_START: must be true or false/);
  });

  it('reads the trigger-evaluation pool settings, and names a bad value', () => {
    expect(loadConfig({ TRIGGER_EVAL_TIMEOUT_MS: '1000', TRIGGER_EVAL_THREADS: '4' }).triggerEval).toEqual({
      threads: 4,
      timeoutMs: 1000,
    });
    expect(() => loadConfig({ TRIGGER_EVAL_TIMEOUT_MS: '0' })).toThrow(/TRIGGER_EVAL_TIMEOUT_MS: must be at least 1/);
    expect(() => loadConfig({ TRIGGER_EVAL_TIMEOUT_MS: '1.5' })).toThrow(/TRIGGER_EVAL_TIMEOUT_MS/);
    expect(() => loadConfig({ TRIGGER_EVAL_THREADS: '0' })).toThrow(/TRIGGER_EVAL_THREADS/);
  });

  it('does not read process.env when given an environment', () => {
    const saved = process.env.PORT;
    process.env.PORT = 'not-a-port';
    try {
      expect(loadConfig({}).port).toBe(3000);
    } finally {
      if (saved === undefined) delete process.env.PORT;
      else process.env.PORT = saved;
    }
  });

  it('parses numbers and durations from strings', () => {
    const config = loadConfig({
      PORT: '8080',
      MAX_ACTIVE_WORKFLOWS: '0',
      ACTIVITY_MAX_ATTEMPTS: '3',
      ACTIVITY_INITIAL_INTERVAL_MS: '250',
      ACTIVITY_MAXIMUM_INTERVAL_MS: '5000',
      ACTIVITY_TIMEOUT_MS: '30000',
      MAX_EVENT_DEPTH: '2',
    });
    expect(config.port).toBe(8080);
    expect(config.maxActiveWorkflows).toBe(0);
    expect(config.maxEventDepth).toBe(2);
    expect(config.retry).toEqual({
      maximumAttempts: 3,
      initialIntervalMs: 250,
      maximumIntervalMs: 5000,
      backoffCoefficient: 2,
      startToCloseTimeoutMs: 30_000,
    });
  });

  it('passes strings through and accepts both mongodb URI schemes', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      ROOT_API_KEY: VALID_KEY,
      MONGODB_URI: 'mongodb+srv://db.example.com/sb',
      TEMPORAL_ADDRESS: '127.0.0.1:7233',
      TEMPORAL_NAMESPACE: 'prod',
      TEMPORAL_TASK_QUEUE: 'sb-prod',
      LOG_LEVEL: 'warn',
    });
    expect(config).toMatchObject({
      env: 'production',
      rootApiKey: VALID_KEY,
      mongoUri: 'mongodb+srv://db.example.com/sb',
      temporalAddress: '127.0.0.1:7233',
      namespace: 'prod',
      taskQueue: 'sb-prod',
      logLevel: 'warn',
    });
    expect(loadConfig({ MONGODB_URI: 'mongodb://127.0.0.1:27017/sb' }).mongoUri).toBe('mongodb://127.0.0.1:27017/sb');
  });

  it.each<{ name: string; value: string }>([
    { name: 'PORT', value: 'abc' },
    { name: 'PORT', value: '70000' },
    { name: 'PORT', value: '80.5' },
    { name: 'MAX_ACTIVE_WORKFLOWS', value: '-1' },
    { name: 'MONGODB_URI', value: 'http://x' },
    { name: 'ROOT_API_KEY', value: 'short' },
    { name: 'NODE_ENV', value: 'staging' },
    { name: 'LOG_LEVEL', value: 'verbose' },
    { name: 'ACTIVITY_MAX_ATTEMPTS', value: '0' },
    { name: 'ACTIVITY_TIMEOUT_MS', value: '1.5' },
    { name: 'ACTIVITY_INITIAL_INTERVAL_MS', value: '1s' },
    { name: 'MAX_EVENT_DEPTH', value: '101' },
    { name: 'TEMPORAL_LOG_LEVEL', value: 'loud' },
  ])('throws a ConfigError naming $name when it is $value', ({ name, value }) => {
    const error = configError(() => loadConfig({ [name]: value }));
    expect(error.message).toContain(`${name}:`);
  });

  it('names every offending variable at once', () => {
    const error = configError(() =>
      loadConfig({ PORT: 'abc', MAX_ACTIVE_WORKFLOWS: '-1', MONGODB_URI: 'http://x', ROOT_API_KEY: 'too-short' }),
    );
    expect(error.message).toMatch(/^invalid configuration:/);
    for (const name of ['PORT', 'MAX_ACTIVE_WORKFLOWS', 'MONGODB_URI', 'ROOT_API_KEY']) {
      expect(error.message).toContain(`${name}:`);
    }
    expect(error.message).toContain('must be a mongodb:// URI');
    expect(error.message).toContain('must be at least 16 characters');
    // Only the bad ones: a valid variable is not mentioned.
    expect(error.message).not.toContain('TEMPORAL_NAMESPACE');
  });
});

describe('requireServiceConfig', () => {
  const service = { MONGODB_URI: 'mongodb://127.0.0.1:27017/sb', TEMPORAL_ADDRESS: '127.0.0.1:7233' };

  it('returns the config when the servers are configured', () => {
    const config = loadConfig(service);
    expect(requireServiceConfig(config)).toBe(config);
  });

  it('names both servers when neither is configured', () => {
    const error = configError(() => requireServiceConfig(loadConfig({})));
    expect(error.message).toBe('missing required configuration: MONGODB_URI, TEMPORAL_ADDRESS');
  });

  it.each<{ missing: string; env: Record<string, string> }>([
    { missing: 'MONGODB_URI', env: { TEMPORAL_ADDRESS: service.TEMPORAL_ADDRESS } },
    { missing: 'TEMPORAL_ADDRESS', env: { MONGODB_URI: service.MONGODB_URI } },
  ])('names $missing alone when only it is missing', ({ missing, env }) => {
    const error = configError(() => requireServiceConfig(loadConfig(env)));
    expect(error.message).toBe(`missing required configuration: ${missing}`);
  });

  it.each(['development', 'test'])('does not require ROOT_API_KEY in %s', (env) => {
    expect(requireServiceConfig(loadConfig({ ...service, NODE_ENV: env })).rootApiKey).toBeUndefined();
  });

  it('requires ROOT_API_KEY and SECRETS_KEY in production', () => {
    const error = configError(() =>
      requireServiceConfig(loadConfig({ ...service, NODE_ENV: 'production', SECRETS_KEY: SECRETS_KEY })),
    );
    expect(error.message).toBe('missing required configuration: ROOT_API_KEY');
    const noKey = configError(() =>
      requireServiceConfig(loadConfig({ ...service, NODE_ENV: 'production', ROOT_API_KEY: VALID_KEY })),
    );
    expect(noKey.message).toBe('missing required configuration: SECRETS_KEY');
    const config = loadConfig({ ...service, NODE_ENV: 'production', ROOT_API_KEY: VALID_KEY, SECRETS_KEY });
    expect(requireServiceConfig(config).rootApiKey).toBe(VALID_KEY);
  });

  it('refuses a SECRETS_KEY that is not 32 bytes of base64', () => {
    const error = configError(() => loadConfig({ SECRETS_KEY: Buffer.alloc(16).toString('base64') }));
    expect(error.message).toContain('SECRETS_KEY: must be 32 bytes, base64');
  });

  it('lists every missing variable in production', () => {
    const error = configError(() => requireServiceConfig(loadConfig({ NODE_ENV: 'production' })));
    expect(error.message).toBe(
      'missing required configuration: MONGODB_URI, TEMPORAL_ADDRESS, ROOT_API_KEY, SECRETS_KEY',
    );
  });
});

describe('loadConfig with empty values', () => {
  it('treats an empty variable as unset, not as 0', () => {
    const config = loadConfig({ PORT: '', MAX_ACTIVE_WORKFLOWS: '' });
    expect(config.port).toBe(3000);
    expect(config.maxActiveWorkflows).toBe(100);
  });
});

describe('TEMPORAL_LOG_LEVEL', () => {
  it.each([
    ['debug', 'DEBUG'],
    ['Info', 'INFO'],
    ['ERROR', 'ERROR'],
  ])('accepts %s as %s (any case)', (value, level) => {
    expect(loadConfig({ TEMPORAL_LOG_LEVEL: value }).temporalLogLevel).toBe(level);
  });
});

describe('loadDevConfig', () => {
  it('applies the documented defaults when the environment is empty', () => {
    expect(loadDevConfig({})).toEqual<DevConfig>({
      dbBackend: 'postgresql',
      skipMemoryServer: false,
      cacheDir: undefined,
      xdgCacheHome: undefined,
      temporalCliPath: undefined,
      ferretDbPath: undefined,
      testServerPath: undefined,
      javaHome: undefined,
      mongoms: { systemBinary: undefined, downloadUrl: undefined, downloadMirror: undefined },
      testLogLevel: 'silent',
      recordHistories: false,
      temporalDevOff: [],
      path: '',
      npmLifecycleEvent: undefined,
    });
  });

  it('names an unknown dev-server lever', () => {
    expect(() => loadDevConfig({ SWITCHBOARD_TEMPORAL_DEV_OFF: 'eager-start,turbo' })).toThrow(
      /SWITCHBOARD_TEMPORAL_DEV_OFF/,
    );
  });

  it('reads every variable of the dev tooling', () => {
    const config = loadDevConfig({
      SWITCHBOARD_DB_BACKEND: 'postgresql',
      SWITCHBOARD_SKIP_MEMORY_SERVER: '1',
      SWITCHBOARD_CACHE_DIR: 'cache',
      XDG_CACHE_HOME: '/home/me/.cache',
      TEMPORAL_CLI_PATH: '/opt/temporal',
      FERRETDB_PATH: '/opt/ferretdb',
      TEMPORAL_TEST_SERVER_PATH: '/opt/test-server',
      JAVA_HOME: '/usr/lib/jvm/java-17',
      MONGOMS_SYSTEM_BINARY: '/usr/bin/mongod',
      MONGOMS_DOWNLOAD_URL: 'https://mirror.example.com/mongod.tgz',
      MONGOMS_DOWNLOAD_MIRROR: 'https://mirror.example.com',
      TEST_LOG_LEVEL: 'debug',
      RECORD_HISTORIES: 'true',
      SWITCHBOARD_TEMPORAL_DEV_OFF: 'eager-start, partitions',
      PATH: '/usr/bin:/bin',
      npm_lifecycle_event: 'dev',
    });
    expect(config).toEqual<DevConfig>({
      dbBackend: 'postgresql',
      skipMemoryServer: true,
      cacheDir: 'cache',
      xdgCacheHome: '/home/me/.cache',
      temporalCliPath: '/opt/temporal',
      ferretDbPath: '/opt/ferretdb',
      testServerPath: '/opt/test-server',
      javaHome: '/usr/lib/jvm/java-17',
      mongoms: {
        systemBinary: '/usr/bin/mongod',
        downloadUrl: 'https://mirror.example.com/mongod.tgz',
        downloadMirror: 'https://mirror.example.com',
      },
      testLogLevel: 'debug',
      recordHistories: true,
      temporalDevOff: ['eager-start', 'partitions'],
      path: '/usr/bin:/bin',
      npmLifecycleEvent: 'dev',
    });
  });

  it.each([
    ['0', false],
    ['false', false],
    ['1', true],
    ['true', true],
  ])('reads the flag value %s as %s', (value, expected) => {
    expect(loadDevConfig({ SWITCHBOARD_SKIP_MEMORY_SERVER: value }).skipMemoryServer).toBe(expected);
    expect(loadDevConfig({ RECORD_HISTORIES: value }).recordHistories).toBe(expected);
  });

  it('treats an empty variable as unset', () => {
    const config = loadDevConfig({ SWITCHBOARD_DB_BACKEND: '', SWITCHBOARD_CACHE_DIR: '', RECORD_HISTORIES: '' });
    expect(config.dbBackend).toBe('postgresql');
    expect(config.cacheDir).toBeUndefined();
    expect(config.recordHistories).toBe(false);
  });

  it("ignores the variables of the services (they are loadConfig's)", () => {
    expect(() => loadDevConfig({ PORT: 'not-a-port', MONGODB_URI: 'http://x' })).not.toThrow();
  });

  it.each<{ name: string; value: string; message: string }>([
    { name: 'SWITCHBOARD_DB_BACKEND', value: 'postgres', message: 'must be sqlite or postgresql' },
    { name: 'SWITCHBOARD_DB_BACKEND', value: 'mysql', message: 'must be sqlite or postgresql' },
    { name: 'SWITCHBOARD_SKIP_MEMORY_SERVER', value: 'yes', message: 'must be 1, 0, true or false' },
    { name: 'RECORD_HISTORIES', value: '2', message: 'must be 1, 0, true or false' },
    { name: 'XDG_CACHE_HOME', value: 'relative/cache', message: 'must be an absolute path' },
    { name: 'JAVA_HOME', value: 'jdk17', message: 'must be an absolute path' },
    { name: 'MONGOMS_DOWNLOAD_URL', value: 'not a url', message: 'must be a URL' },
    { name: 'MONGOMS_DOWNLOAD_MIRROR', value: 'mirror', message: 'must be a URL' },
    { name: 'TEST_LOG_LEVEL', value: 'verbose', message: '' },
  ])('throws a ConfigError naming $name when it is $value', ({ name, value, message }) => {
    const error = configError(() => loadDevConfig({ [name]: value }));
    expect(error.message).toMatch(/^invalid configuration:/);
    expect(error.message).toContain(`${name}: ${message}`);
  });

  it('names every offending variable at once, and only those', () => {
    const error = configError(() =>
      loadDevConfig({ SWITCHBOARD_DB_BACKEND: 'oracle', RECORD_HISTORIES: 'yes', FERRETDB_PATH: '/opt/ferretdb' }),
    );
    expect(error.message).toContain('SWITCHBOARD_DB_BACKEND:');
    expect(error.message).toContain('RECORD_HISTORIES:');
    expect(error.message).not.toContain('FERRETDB_PATH');
  });
});
