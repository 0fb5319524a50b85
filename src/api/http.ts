import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { problemsFromZod, type PathSegment } from '../core/problems';
import { UserError, ValidationError } from '../errors';

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

/**
 * The one error middleware: `{ error: { code, message, details: [{ path, message }] } }`. User errors
 * keep their status; a malformed JSON body is a 400; anything else is a 500 that hides internals
 * from the client and is logged in full.
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
    logger.error({ err: error, method: req.method, path: req.path }, 'unhandled error');
    res.status(500).json({ error: { code: 'internal', message: 'internal error', details: [] } });
  };
}
