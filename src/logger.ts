import pino, { type Logger } from 'pino';

/** Structured JSON logs; children carry org, definition, run and step ids. */
export function createLogger(level: string, name: string): Logger {
  return pino({ level, name, base: { service: name } });
}
