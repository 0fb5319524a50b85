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

/**
 * Bodies are JSON: a body sent as anything else (a form, text, XML) is refused with 415 rather than
 * read as "no body" and reported as missing fields. An empty body (`Content-Length: 0`) needs no type.
 */
export const jsonBodiesOnly: RequestHandler = (req, _res, next) => {
  const length = req.get('content-length');
  const hasBody = req.get('transfer-encoding') !== undefined || (length !== undefined && Number(length) !== 0);
  if (hasBody && req.is('application/json') === false) {
    throw new UserError(415, 'unsupported_media_type', 'send the body as JSON (Content-Type: application/json)', [
      { path: 'headers.Content-Type', message: `got ${JSON.stringify(req.get('content-type') ?? '')}` },
    ]);
  }
  next();
};

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
 * Errors raised by express and body-parser before a handler runs (http-errors: a 4xx `status`,
 * `expose` true, and a `type` for body-parser's), translated into the envelope: the client sent
 * something we cannot read, so it learns what, and never gets a 500 for it.
 */
function frameworkClientError(error: unknown): UserError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, type, expose, message, charset, encoding } = error as {
    status?: unknown;
    type?: unknown;
    expose?: unknown;
    message?: unknown;
    charset?: unknown;
    encoding?: unknown;
  };
  if (typeof status !== 'number' || status < 400 || status > 499 || expose === false) return undefined;
  const text = typeof message === 'string' ? message : '';
  switch (type) {
    case 'entity.parse.failed':
      return new UserError(400, 'invalid_json', 'the body is not valid JSON', [{ path: '$', message: text }]);
    case 'entity.too.large':
      return new UserError(413, 'payload_too_large', 'the body is too large (the limit is 400 KB)');
    case 'charset.unsupported':
      return new UserError(
        415,
        'unsupported_charset',
        `charset ${JSON.stringify(charset)} is not supported: send UTF-8`,
        [{ path: 'headers.Content-Type', message: text }],
      );
    case 'encoding.unsupported':
      return new UserError(
        415,
        'unsupported_encoding',
        `content encoding ${JSON.stringify(encoding)} is not supported: send identity, gzip, deflate or br`,
        [{ path: 'headers.Content-Encoding', message: text }],
      );
    case 'request.aborted':
    case 'request.size.invalid':
      return new UserError(400, 'invalid_body', 'the body was cut short or does not match its Content-Length');
    default:
      break;
  }
  // zlib's codes (Z_DATA_ERROR...) and brotli's (ERR__ERROR_FORMAT_PADDING_1...): a body that does not inflate.
  const zlibCode = (error as { code?: unknown }).code;
  if (typeof zlibCode === 'string' && /^(Z_|ERR__ERROR_)/.test(zlibCode)) {
    return new UserError(400, 'invalid_body', 'the body does not decode as its Content-Encoding says', [
      { path: 'headers.Content-Encoding', message: text },
    ]);
  }
  if (error instanceof URIError || /decode param/i.test(text)) {
    return new UserError(400, 'invalid_url', 'the URL holds malformed percent-encoding', [
      { path: 'url', message: text },
    ]);
  }
  // Anything else body-parser or the router raised as a client error (a gzip body that does not
  // inflate, for example): its status, with the message, which http-errors marks safe to show.
  return new UserError(
    status,
    status === 413 ? 'payload_too_large' : 'bad_request',
    text || 'the request is not valid',
  );
}

/**
 * The one error middleware: `{ error: { code, message, details: [{ path, message }] } }`. User errors
 * and the client errors express and body-parser raise keep their 4xx status; contention and
 * unavailability are a 503 with `Retry-After` (see isTransient); anything else is a 500 that hides
 * internals from the client and is logged in full.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req: Request, res: Response, _next) => {
    const userError = error instanceof UserError ? error : frameworkClientError(error);
    if (userError) {
      res
        .status(userError.status)
        .json({ error: { code: userError.code, message: userError.message, details: userError.details } });
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
