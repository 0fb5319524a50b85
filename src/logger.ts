import pino, { type DestinationStream, type Logger } from 'pino';

/** Structured JSON logs; children carry org, definition, run and step ids. `destination`: stdout unless given. */
export function createLogger(level: string, name: string, destination?: DestinationStream): Logger {
  const options = { level, name, base: { service: name } };
  return destination ? pino(options, destination) : pino(options);
}
