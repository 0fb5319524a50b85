import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { log } from './process-utils';

export interface RootApiKey {
  key: string;
  /** `env`: ROOT_API_KEY was set; `file`: reused from `file`; `generated`: new, saved to `file`. */
  source: 'env' | 'file' | 'generated';
  file: string;
}

/** Same rule as config.ts: shorter keys are refused there, so never hand one out. */
const MIN_LENGTH = 16;

/**
 * The root API key for `npm run dev`: ROOT_API_KEY when set (never written to disk), else the one saved in
 * `<dataDir>/root-api-key`, else a new random one saved there (mode 0600) so that it, and every curl command
 * or script that uses it, stays valid across restarts. Deleting the file gives a new key on the next start.
 */
export function resolveRootApiKey(fromEnv: string | undefined, dataDir: string): RootApiKey {
  const file = path.join(dataDir, 'root-api-key');
  if (fromEnv) return { key: fromEnv, source: 'env', file };
  try {
    const saved = fs.readFileSync(file, 'utf8').trim();
    if (saved.length >= MIN_LENGTH) return { key: saved, source: 'file', file };
    log(`${file} holds no usable key (under ${MIN_LENGTH} characters): generating a new one`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = `sb_root_${crypto.randomBytes(24).toString('hex')}`;
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return { key, source: 'generated', file };
}
