import { loadConfig, requireServiceConfig } from './config';
import { createLogger } from './logger';
import { connectMongo, disconnectMongo } from './runtime/mongo';
import { startApi } from './runtime/api.runtime';

async function main(): Promise<void> {
  const config = requireServiceConfig(loadConfig());
  const logger = createLogger(config.logLevel, 'switchboard-api');
  await connectMongo(config.mongoUri, undefined, logger);
  const api = await startApi(config, logger);
  logger.info({ url: api.url }, 'API listening');
  const stop = async (): Promise<void> => {
    await api.close();
    await disconnectMongo();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
