import { z } from 'zod';
import type { RetryDefaults } from './workflows/run.types';

/** A comma-separated list, items trimmed, empty items dropped. */
const commaList = () =>
  z.string().transform((list) =>
    list
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  );

const durationMs = z.string().regex(/^\d+$/, 'must be a whole number of milliseconds').transform(Number);

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  ROOT_API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  MONGODB_URI: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// URI')
    .optional(),
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('switchboard'),
  MAX_ACTIVE_WORKFLOWS: z.coerce.number().int().min(0).default(100),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ACTIVITY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  ACTIVITY_INITIAL_INTERVAL_MS: durationMs.default(1000),
  ACTIVITY_MAXIMUM_INTERVAL_MS: durationMs.default(60_000),
  ACTIVITY_TIMEOUT_MS: durationMs.default(60_000),
  MAX_EVENT_DEPTH: z.coerce.number().int().min(1).max(100).default(8),
  /** Budget of one trigger evaluation on the pool's threads; past it the thread is ended and the definition skipped. */
  TRIGGER_EVAL_TIMEOUT_MS: durationMs.pipe(z.number().min(1, 'must be at least 1')).default(250),
  /** Threads that evaluate trigger conditions, per process; one org never holds more than all but one of them. */
  TRIGGER_EVAL_THREADS: z.coerce.number().int().min(1).max(64).default(2),
  /** Level of the Temporal SDK's own (Rust core and worker) logs; any case. */
  TEMPORAL_LOG_LEVEL: z
    .string()
    .transform((level) => level.toUpperCase())
    .pipe(z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'], 'must be one of trace, debug, info, warn, error'))
    .default('WARN'),
  /** Ask for eager workflow start where the starting client shares a worker's connection (`npm run dev`). */
  TEMPORAL_EAGER_START: z.enum(['true', 'false'], 'must be true or false').default('true'),
  /** Workflow tasks one worker runs at once (CRM actions run inside them, as local activities). */
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(2).max(1000).optional(),
  WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: z.coerce.number().int().min(1).max(1000).optional(),
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).max(1000).optional(),
  /** Pollers for workflow tasks (the SDK's default is 10). */
  WORKER_WORKFLOW_TASK_POLLERS: z.coerce.number().int().min(2).max(100).optional(),
  /** Runs a worker keeps in memory between their tasks (LRU; 0: none). Unset: the SDK's, from the heap limit. */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).optional(),
  /** Scheduled runs of one org that fire in one 15-minute window; the rest wait for the next window. */
  SCHEDULED_RUNS_PER_WINDOW: z.coerce.number().int().min(1).default(1000),
  /** Scheduled runs one chain (a run scheduling a run scheduling...) may add before scheduling is refused. */
  MAX_SCHEDULE_CHAIN_DEPTH: z.coerce.number().int().min(1).max(100_000).default(100),
  /**
   * The key that encrypts secrets at rest (secret variables, hook and webhook signing secrets): 32 bytes,
   * base64. Required in production; elsewhere a fixed development key is used (see secret-box.ts).
   */
  SECRETS_KEY: z
    .string()
    .refine((value) => Buffer.from(value, 'base64').length === 32, 'must be 32 bytes, base64 (openssl rand -base64 32)')
    .optional(),

  // --- Outbound HTTP (REST steps, webhook deliveries): src/services/outbound ---
  /** Hosts or IPs outbound calls may reach although private or loopback (comma list; dev and tests: 127.0.0.1,localhost). */
  OUTBOUND_ALLOW_HOSTS: commaList().default([]),
  /** Total budget of one outbound call (redirects and reading the body included), unless the call sets its own. */
  OUTBOUND_TIMEOUT_MS: durationMs.pipe(z.number().min(1, 'must be at least 1')).default(10_000),
  /** Largest response body an outbound call reads; past it the call fails response_too_large. */
  OUTBOUND_MAX_RESPONSE_BYTES: z.coerce.number().int().min(1).default(1_048_576),
  /** Token buckets per destination host and per org: calls per second, and burst (bucket size). */
  OUTBOUND_RATE_PER_HOST: z.coerce.number().positive().default(20),
  OUTBOUND_BURST_PER_HOST: z.coerce.number().int().min(1).default(20),
  OUTBOUND_RATE_PER_ORG: z.coerce.number().positive().default(50),
  OUTBOUND_BURST_PER_ORG: z.coerce.number().int().min(1).default(50),
  /** Longest a call waits for a token; past it the call fails throttled (retried later with Retry-After). */
  OUTBOUND_THROTTLE_MAX_WAIT_MS: durationMs.default(2_000),
  // --- Outbound webhooks (src/services/webhooks) ---
  /** Waits between delivery attempts, ms, comma-separated: attempt n+1 comes the n-th value after attempt n. */
  WEBHOOK_RETRY_SCHEDULE_MS: z
    .string()
    .regex(/^\s*\d+\s*(,\s*\d+\s*)*$/, 'must be a comma list of whole milliseconds')
    .transform((list) => list.split(',').map((ms) => Number(ms.trim())))
    .pipe(z.array(z.number()).max(50, 'at most 50 retries'))
    .optional(),
  /** An endpoint with no successful delivery for this long (while deliveries keep failing) is disabled. */
  WEBHOOK_DISABLE_AFTER_MS: durationMs.pipe(z.number().min(1, 'must be at least 1')).default(5 * 24 * 3_600_000),
  /** Total budget of one delivery attempt (connect, send, read the answer). */
  WEBHOOK_TIMEOUT_MS: durationMs.pipe(z.number().min(1, 'must be at least 1')).default(15_000),
  /** How long a process keeps an org's webhook subscriptions before reading them again (event dispatch). */
  WEBHOOK_SUBSCRIPTION_CACHE_MS: durationMs.default(5_000),
  /** After a secret rotation, deliveries are signed with the old secret too for this long. */
  WEBHOOK_SECRET_GRACE_MS: durationMs.default(24 * 3_600_000),
  // --- Inbound hooks (src/services/hooks, src/api/hooks) ---
  /** Base of the URLs `POST /v1/hooks` hands out; unset: http://127.0.0.1:<the port the API listens on>. */
  PUBLIC_URL: z
    .url('must be a URL')
    .refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL')
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
  /** Email hooks receive mail at `<hook id>@<HOOKS_EMAIL_DOMAIN>` (the mail gateway posts it to the hook). */
  HOOKS_EMAIL_DOMAIN: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i, 'must be a domain name')
    .default('hooks.switchboard.localhost'),
  /** How long a hook's previous secret keeps working after `rotate-secret`. */
  HOOK_SECRET_GRACE_MS: durationMs.default(24 * 60 * 60 * 1000),
  /**
   * Per hook and API process: requests per second refilled into its token bucket, and the bucket's size. The
   * defaults are the product's hook limit on its Enterprise plan, 1,000 a minute.
   */
  HOOK_RATE_PER_SECOND: z.coerce.number().positive().max(100_000).default(1000 / 60),
  HOOK_RATE_BURST: z.coerce.number().int().min(1).max(100_000).default(1000),
});

// --- Outbound webhooks ---
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/**
 * The Standard Webhooks (Svix) schedule: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, extended
 * with 10 h waits to about 3 days (12 attempts, the last 67.6 h after the first).
 */
export const DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS = [
  5_000,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  5 * HOUR,
  ...Array<number>(6).fill(10 * HOUR),
];

export interface WebhookSettings {
  /** Waits between attempts: attempt n+1 comes `retryScheduleMs[n-1]` after attempt n (or later, per Retry-After). */
  retryScheduleMs: number[];
  disableAfterMs: number;
  timeoutMs: number;
  subscriptionCacheMs: number;
  secretGraceMs: number;
}

export interface Config {
  env: 'development' | 'test' | 'production';
  port: number;
  rootApiKey: string | undefined;
  mongoUri: string | undefined;
  temporalAddress: string | undefined;
  namespace: string;
  taskQueue: string;
  maxActiveWorkflows: number;
  logLevel: string;
  retry: RetryDefaults;
  maxEventDepth: number;
  /** The trigger-evaluation pool (src/services/triggers): threads per process, budget per evaluation. */
  triggerEval: { threads: number; timeoutMs: number };
  temporalLogLevel: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  eagerWorkflowStart: boolean;
  /** Scheduled runs (app.scheduler.schedule-workflow, recurring schedules): the org's fire window, the chain limit. */
  scheduling: { runsPerWindow: number; maxChainDepth: number };
  /** SECRETS_KEY, base64; unset outside production means the development key. */
  secretsKey: string | undefined;
  /** Outbound HTTP (REST steps, webhook deliveries): destination policy, guards, throttling per worker process. */
  outbound: {
    allowHosts: string[];
    timeoutMs: number;
    maxResponseBytes: number;
    throttle: {
      perHost: { ratePerSecond: number; burst: number };
      perOrg: { ratePerSecond: number; burst: number };
      maxWaitMs: number;
    };
  };
  /** Outbound webhooks (src/services/webhooks): retry schedule, disabling, timeouts, caching, rotation. */
  webhooks: WebhookSettings;
  /** Inbound hooks: public base URL (unset: the API's own), email domain, secret grace, per-hook rate limit. */
  hooks: {
    publicUrl: string | undefined;
    emailDomain: string;
    secretGraceMs: number;
    ratePerSecond: number;
    burst: number;
  };
  /** Worker options; unset ones keep the SDK's defaults. */
  workerTuning: {
    maxConcurrentWorkflowTaskExecutions?: number;
    maxConcurrentLocalActivityExecutions?: number;
    maxConcurrentActivityTaskExecutions?: number;
    maxConcurrentWorkflowTaskPolls?: number;
    maxCachedWorkflows?: number;
  };
}

export class ConfigError extends Error {}

/** Parses `env` with `schema`; an empty value (`PORT=` in a .env file) means unset, not 0 or ''. */
function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = schema.safeParse(given);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/**
 * Reads configuration from the environment once, through a zod schema; a bad value throws a
 * ConfigError naming every offending variable, so start-up fails fast with a clear message.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = parseEnv(EnvSchema, env);
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    rootApiKey: e.ROOT_API_KEY,
    mongoUri: e.MONGODB_URI,
    temporalAddress: e.TEMPORAL_ADDRESS,
    namespace: e.TEMPORAL_NAMESPACE,
    taskQueue: e.TEMPORAL_TASK_QUEUE,
    maxActiveWorkflows: e.MAX_ACTIVE_WORKFLOWS,
    logLevel: e.LOG_LEVEL,
    retry: {
      maximumAttempts: e.ACTIVITY_MAX_ATTEMPTS,
      initialIntervalMs: e.ACTIVITY_INITIAL_INTERVAL_MS,
      maximumIntervalMs: e.ACTIVITY_MAXIMUM_INTERVAL_MS,
      backoffCoefficient: 2,
      startToCloseTimeoutMs: e.ACTIVITY_TIMEOUT_MS,
    },
    maxEventDepth: e.MAX_EVENT_DEPTH,
    triggerEval: { threads: e.TRIGGER_EVAL_THREADS, timeoutMs: e.TRIGGER_EVAL_TIMEOUT_MS },
    temporalLogLevel: e.TEMPORAL_LOG_LEVEL,
    eagerWorkflowStart: e.TEMPORAL_EAGER_START === 'true',
    scheduling: { runsPerWindow: e.SCHEDULED_RUNS_PER_WINDOW, maxChainDepth: e.MAX_SCHEDULE_CHAIN_DEPTH },
    secretsKey: e.SECRETS_KEY,
    outbound: {
      allowHosts: e.OUTBOUND_ALLOW_HOSTS,
      timeoutMs: e.OUTBOUND_TIMEOUT_MS,
      maxResponseBytes: e.OUTBOUND_MAX_RESPONSE_BYTES,
      throttle: {
        perHost: { ratePerSecond: e.OUTBOUND_RATE_PER_HOST, burst: e.OUTBOUND_BURST_PER_HOST },
        perOrg: { ratePerSecond: e.OUTBOUND_RATE_PER_ORG, burst: e.OUTBOUND_BURST_PER_ORG },
        maxWaitMs: e.OUTBOUND_THROTTLE_MAX_WAIT_MS,
      },
    },
    webhooks: {
      retryScheduleMs: e.WEBHOOK_RETRY_SCHEDULE_MS ?? DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS,
      disableAfterMs: e.WEBHOOK_DISABLE_AFTER_MS,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      subscriptionCacheMs: e.WEBHOOK_SUBSCRIPTION_CACHE_MS,
      secretGraceMs: e.WEBHOOK_SECRET_GRACE_MS,
    },
    hooks: {
      publicUrl: e.PUBLIC_URL,
      emailDomain: e.HOOKS_EMAIL_DOMAIN.toLowerCase(),
      secretGraceMs: e.HOOK_SECRET_GRACE_MS,
      ratePerSecond: e.HOOK_RATE_PER_SECOND,
      burst: e.HOOK_RATE_BURST,
    },
    workerTuning: Object.fromEntries(
      Object.entries({
        maxConcurrentWorkflowTaskExecutions: e.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
        maxConcurrentLocalActivityExecutions: e.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES,
        maxConcurrentActivityTaskExecutions: e.WORKER_MAX_CONCURRENT_ACTIVITIES,
        maxConcurrentWorkflowTaskPolls: e.WORKER_WORKFLOW_TASK_POLLERS,
        maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
      }).filter(([, value]) => value !== undefined),
    ),
  };
}

/** Like loadConfig, but also enforces what a production process needs. */
export function requireServiceConfig(config: Config): Config & { mongoUri: string; temporalAddress: string } {
  const missing: string[] = [];
  if (!config.mongoUri) missing.push('MONGODB_URI');
  if (!config.temporalAddress) missing.push('TEMPORAL_ADDRESS');
  if (!config.rootApiKey && config.env === 'production') missing.push('ROOT_API_KEY');
  if (!config.secretsKey && config.env === 'production') missing.push('SECRETS_KEY');
  if (missing.length > 0) throw new ConfigError(`missing required configuration: ${missing.join(', ')}`);
  return config as Config & { mongoUri: string; temporalAddress: string };
}

/** `1`/`true` or `0`/`false`. */
const flag = z
  .enum(['0', '1', 'true', 'false'], 'must be 1, 0, true or false')
  .transform((v) => v === '1' || v === 'true');
const absolutePath = z.string().startsWith('/', 'must be an absolute path');
const url = z.url('must be a URL');

/** The Temporal dev-server settings `npm run dev` and the tests use (scripts/dev/servers.ts). */
const TEMPORAL_DEV_LEVERS = ['eager-start', 'eager-activities', 'partitions', 'sqlite-pragmas'] as const;
type TemporalDevLever = (typeof TEMPORAL_DEV_LEVERS)[number];

/**
 * What the dev tooling (scripts/dev: `npm run dev`, `npm run servers`, the test setup, the benchmarks) reads.
 * Production processes never read these; they are here so that every variable is declared in one place.
 */
const DevEnvSchema = z.object({
  /** Which FerretDB backend the dev tooling starts when neither MONGODB_URI nor a mongod is available. */
  SWITCHBOARD_DB_BACKEND: z.enum(['sqlite', 'postgresql'], 'must be sqlite or postgresql').default('postgresql'),
  /** Go straight to FerretDB, even where mongodb-memory-server could start a mongod. */
  SWITCHBOARD_SKIP_MEMORY_SERVER: flag.default(false),
  SWITCHBOARD_CACHE_DIR: z.string().optional(),
  XDG_CACHE_HOME: absolutePath.optional(),
  TEMPORAL_CLI_PATH: z.string().optional(),
  FERRETDB_PATH: z.string().optional(),
  TEMPORAL_TEST_SERVER_PATH: z.string().optional(),
  JAVA_HOME: absolutePath.optional(),
  /** mongodb-memory-server's own variables that the tooling reads too (the library reads all MONGOMS_*). */
  MONGOMS_SYSTEM_BINARY: z.string().optional(),
  MONGOMS_DOWNLOAD_URL: url.optional(),
  MONGOMS_DOWNLOAD_MIRROR: url.optional(),
  /** LOG_LEVEL of the API and worker that the end-to-end tests start. */
  TEST_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('silent'),
  /** Re-record the interpreter histories (test/workflows/replay.record.test.ts). */
  RECORD_HISTORIES: flag.default(false),
  /**
   * Dev-server settings to leave off, for measuring one lever at a time (README, "Performance"): a comma
   * list of eager-start, eager-activities, partitions, sqlite-pragmas. Empty: all on.
   */
  SWITCHBOARD_TEMPORAL_DEV_OFF: commaList()
    .pipe(z.array(z.enum(TEMPORAL_DEV_LEVERS, `each must be one of ${TEMPORAL_DEV_LEVERS.join(', ')}`)))
    .default([]),
  /** Where executables (go, java, mvn, initdb...) are looked up. */
  PATH: z.string().default(''),
  /** Set by npm for `npm run <script>`: the dev launcher watches npm's processes then. */
  npm_lifecycle_event: z.string().optional(),
});

export interface DevConfig {
  dbBackend: 'sqlite' | 'postgresql';
  skipMemoryServer: boolean;
  cacheDir: string | undefined;
  xdgCacheHome: string | undefined;
  temporalCliPath: string | undefined;
  ferretDbPath: string | undefined;
  testServerPath: string | undefined;
  javaHome: string | undefined;
  mongoms: { systemBinary: string | undefined; downloadUrl: string | undefined; downloadMirror: string | undefined };
  testLogLevel: string;
  recordHistories: boolean;
  temporalDevOff: TemporalDevLever[];
  path: string;
  npmLifecycleEvent: string | undefined;
}

/** The dev tooling's configuration, read through its own zod schema with the same rules as loadConfig. */
export function loadDevConfig(env: NodeJS.ProcessEnv = process.env): DevConfig {
  const e = parseEnv(DevEnvSchema, env);
  return {
    dbBackend: e.SWITCHBOARD_DB_BACKEND,
    skipMemoryServer: e.SWITCHBOARD_SKIP_MEMORY_SERVER,
    cacheDir: e.SWITCHBOARD_CACHE_DIR,
    xdgCacheHome: e.XDG_CACHE_HOME,
    temporalCliPath: e.TEMPORAL_CLI_PATH,
    ferretDbPath: e.FERRETDB_PATH,
    testServerPath: e.TEMPORAL_TEST_SERVER_PATH,
    javaHome: e.JAVA_HOME,
    mongoms: {
      systemBinary: e.MONGOMS_SYSTEM_BINARY,
      downloadUrl: e.MONGOMS_DOWNLOAD_URL,
      downloadMirror: e.MONGOMS_DOWNLOAD_MIRROR,
    },
    testLogLevel: e.TEST_LOG_LEVEL,
    recordHistories: e.RECORD_HISTORIES,
    temporalDevOff: e.SWITCHBOARD_TEMPORAL_DEV_OFF,
    path: e.PATH,
    npmLifecycleEvent: e.npm_lifecycle_event,
  };
}
