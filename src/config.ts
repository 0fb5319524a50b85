import { z } from 'zod';
import type { RetryDefaults } from './workflows/run.types';

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
});

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
}

export class ConfigError extends Error {}

/**
 * Reads configuration from the environment once, through a zod schema; a bad value throws a
 * ConfigError naming every offending variable, so start-up fails fast with a clear message.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty value (`PORT=` in a .env file) means unset, not 0.
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = EnvSchema.safeParse(given);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
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
  };
}

/** Like loadConfig, but also enforces what a production process needs. */
export function requireServiceConfig(config: Config): Config & { mongoUri: string; temporalAddress: string } {
  const missing: string[] = [];
  if (!config.mongoUri) missing.push('MONGODB_URI');
  if (!config.temporalAddress) missing.push('TEMPORAL_ADDRESS');
  if (!config.rootApiKey && config.env === 'production') missing.push('ROOT_API_KEY');
  if (missing.length > 0) throw new ConfigError(`missing required configuration: ${missing.join(', ')}`);
  return config as Config & { mongoUri: string; temporalAddress: string };
}
