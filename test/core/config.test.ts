import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, requireServiceConfig, type Config } from '../../src/config';

const VALID_KEY = 'root-0123456789abcdef';

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
    });
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

  it('requires ROOT_API_KEY in production', () => {
    const error = configError(() => requireServiceConfig(loadConfig({ ...service, NODE_ENV: 'production' })));
    expect(error.message).toBe('missing required configuration: ROOT_API_KEY');
    const config = loadConfig({ ...service, NODE_ENV: 'production', ROOT_API_KEY: VALID_KEY });
    expect(requireServiceConfig(config).rootApiKey).toBe(VALID_KEY);
  });

  it('lists every missing variable in production', () => {
    const error = configError(() => requireServiceConfig(loadConfig({ NODE_ENV: 'production' })));
    expect(error.message).toBe('missing required configuration: MONGODB_URI, TEMPORAL_ADDRESS, ROOT_API_KEY');
  });
});

describe('loadConfig with empty values', () => {
  it('treats an empty variable as unset, not as 0', () => {
    const config = loadConfig({ PORT: '', MAX_ACTIVE_WORKFLOWS: '' });
    expect(config.port).toBe(3000);
    expect(config.maxActiveWorkflows).toBe(100);
  });
});
