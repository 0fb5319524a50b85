import type { Problem } from './core/problems';

/**
 * Errors a client or a workflow author caused: bad input, not found, conflicts. They map to 4xx in
 * the API and to non-retryable activity failures in workflows (retrying cannot fix them).
 * Anything else is unexpected: 5xx in the API, retried by Temporal in activities.
 */
export class UserError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Problem[] = [],
  ) {
    super(message);
    this.name = 'UserError';
  }
}

export class ValidationError extends UserError {
  constructor(details: Problem[], message = 'the request is not valid') {
    super(400, 'validation_error', `${message}: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);
  }
}

export class NotFoundError extends UserError {
  constructor(what: string, id: string) {
    super(404, 'not_found', `${what} ${JSON.stringify(id)} was not found`);
  }
}

export class ConflictError extends UserError {
  constructor(code: string, message: string) {
    super(409, code, message);
  }
}

export class UnauthorizedError extends UserError {
  constructor(message = 'a valid API key is required (Authorization: Bearer <key>)') {
    super(401, 'unauthorized', message);
  }
}
