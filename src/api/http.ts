import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { problemsFromZod, type PathSegment } from '../core/problems';
import { UserError, ValidationError } from '../errors';
import { RecordBusyError } from '../services/records';

/** Parses a part of the request with a schema; every problem comes back with its path. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, where: PathSegment[] = []): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(problemsFromZod(result.error, where));
  return result.data;
}

export interface OrgLocals {
  org: { id: string; name: string };
}

export function orgOf(res: Response): string {
  return (res.locals as OrgLocals).org.id;
}

export const notFoundRoute: RequestHandler = (req) => {
  throw new UserError(404, 'route_not_found', `no route for ${req.method} ${req.path}`);
};

const TRANSIENT_DRIVER_ERRORS = new Set([
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoPoolClearedError',
  'MongoWaitQueueTimeoutError',
  'WaitQueueTimeoutError',
  // The connection being opened anew after a stuck heartbeat (runtime/mongo.ts) ends operations in flight.
  'MongoTopologyClosedError',
  'MongoPoolClosedError',
  'MongoNotConnectedError',
]);
/** What a busy or restarting database says through FerretDB (SQLite, PostgreSQL) when it is not the request. */
const TRANSIENT_MESSAGE =
  /SQLITE_BUSY|database is locked|too many clients|deadlock detected|could not serialize|canceling statement|buffering timed out|connection (refused|reset|closed)/i;
/**
 * A socket to the database or Temporal that broke: the driver lets some through unwrapped (a write on a
 * connection the database just closed fails with EPIPE while the server stops).
 */
const TRANSIENT_SOCKET_CODES = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT']);
/** gRPC UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED: Temporal is busy or restarting. */
const TRANSIENT_GRPC = new Set([14, 4, 8]);

/**
 * Contention and unavailability, as opposed to bugs: the request may succeed if retried, and nothing
 * it did is lost (writes are single-document and events are an outbox), so it answers 503.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof RecordBusyError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const { name, message, code, cause } = error as { name?: string; message?: string; code?: unknown; cause?: unknown };
  if (name && TRANSIENT_DRIVER_ERRORS.has(name)) return true;
  if (typeof message === 'string' && TRANSIENT_MESSAGE.test(message)) return true;
  if (typeof code === 'string' && TRANSIENT_SOCKET_CODES.has(code)) return true;
  if (name === 'ServiceError' && typeof code === 'number' && TRANSIENT_GRPC.has(code)) return true;
  const grpcCode = (cause as { code?: unknown } | undefined)?.code;
  return name === 'ServiceError' && typeof grpcCode === 'number' && TRANSIENT_GRPC.has(grpcCode);
}

/**
 * The one error middleware: `{ error: { code, message, details: [{ path, message }] } }`. User errors
 * keep their status; a malformed JSON body is a 400; anything else is a 500 that hides internals
 * from the client and is logged in full;
 * contention and unavailability are a 503 with `Retry-After` (see isTransient).
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req: Request, res: Response, _next) => {
    if (error instanceof UserError) {
      res.status(error.status).json({ error: { code: error.code, message: error.message, details: error.details } });
      return;
    }
    const status = (error as { status?: number; type?: string }).status;
    if (status === 400 && (error as { type?: string }).type === 'entity.parse.failed') {
      res.status(400).json({
        error: {
          code: 'invalid_json',
          message: 'the body is not valid JSON',
          details: [{ path: '$', message: (error as Error).message }],
        },
      });
      return;
    }
    if (status === 413) {
      res.status(413).json({ error: { code: 'payload_too_large', message: 'the body is too large', details: [] } });
      return;
    }
    if (isTransient(error)) {
      logger.warn({ err: error, method: req.method, path: req.path }, 'busy or unavailable: answered 503');
      res.setHeader('Retry-After', '1');
      res.status(503).json({
        error: { code: 'unavailable', message: 'the service is busy; retry the request shortly', details: [] },
      });
      return;
    }
    logger.error({ err: error, method: req.method, path: req.path }, 'unhandled error');
    res.status(500).json({ error: { code: 'internal', message: 'internal error', details: [] } });
  };
}
