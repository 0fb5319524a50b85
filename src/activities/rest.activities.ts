import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ActionParams } from '../core/actions.catalog';
import type { JsonObject, JsonValue } from '../core/json';
import { OutboundError, type OutboundClient, type OutboundResponse } from '../services/outbound/http';
import { retryAfterMs } from '../services/outbound/retry-after';
import type { ActionInput } from '../workflows/run.types';
import { stepKey } from './action-context';
import type { Handlers } from './crm.activities';

export type RestAction = 'rest-api.json' | 'rest-api.generic';
type RestParams = ActionParams<'rest-api.json'> | ActionParams<'rest-api.generic'>;

/** The longest `Retry-After` honoured as is; a longer one waits this long (the step's retries bound the rest). */
const MAX_RETRY_AFTER_MS = 10 * 60_000;
/** Leaves the activity time to report after its call timed out (the call's budget is below the attempt's). */
const REPORT_MARGIN_MS = 1_000;
/** Temporal refuses payloads over 2 MB; the output carries the body twice (`body`, `response.body`). */
const MAX_OUTPUT_CHARS = 1_900_000;

/**
 * REST steps: one HTTP call through the outbound client (policy, timeout, body cap, throttling), with an
 * `Idempotency-Key` derived from run and step (the same on every retry). Network errors, timeouts, 429
 * and 5xx are retried (after `Retry-After` when the server sends one); other 4xx are the step's output,
 * for the workflow to branch on, unless `failOn4xx`. A refused destination, an invalid URL or a response
 * over the cap fail the step at once.
 */
export function restHandlers(
  outbound: OutboundClient | undefined,
  defaultTimeoutMs: number,
): Pick<Handlers, RestAction> {
  const call = async (p: RestParams, input: ActionInput, raw: boolean): Promise<JsonObject> => {
    if (!outbound) throw new Error('this worker has no outbound HTTP client');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(p.headers ?? {})) headers[name.toLowerCase()] = value;
    headers['idempotency-key'] ??= stepKey(input);
    if (p.json) headers.accept ??= 'application/json';
    let body: string | undefined;
    if (p.data !== undefined && p.method !== 'GET' && p.method !== 'HEAD') {
      if (raw || typeof p.data === 'string') {
        body = String(p.data);
        headers['content-type'] ??= raw ? 'text/plain; charset=utf-8' : 'application/json';
      } else {
        body = JSON.stringify(p.data);
        headers['content-type'] ??= 'application/json';
      }
    }
    const attemptMs = Context.current().info.startToCloseTimeoutMs;
    const timeoutMs = Math.max(1, Math.min(p.timeout ?? defaultTimeoutMs, attemptMs - REPORT_MARGIN_MS));
    const deadline = Date.now() + attemptMs - REPORT_MARGIN_MS;
    let res: OutboundResponse;
    try {
      res = await throttledCall(
        () =>
          outbound.request({
            org: input.org,
            url: withQuery(p.uri, p.qs),
            method: p.method,
            headers,
            ...(body === undefined ? {} : { body }),
            timeoutMs,
          }),
        deadline - timeoutMs,
      );
    } catch (error) {
      if (!(error instanceof OutboundError)) throw error;
      throw ApplicationFailure.create({
        message: error.message,
        type: error.code,
        nonRetryable: !error.retryable,
        ...(error.retryAfterMs === undefined ? {} : { nextRetryDelay: error.retryAfterMs }),
      });
    }
    const where = `${p.method} ${new URL(res.url).host}${excerpt(res.body)}`;
    if (res.status === 429 || res.status >= 500) {
      const retryAfterMs = restRetryAfter(res.headers['retry-after'], Date.now());
      throw ApplicationFailure.create({
        message: `HTTP ${res.status}${retryAfterMs === undefined ? '' : ` (Retry-After ${retryAfterMs} ms)`} from ${where}`,
        type: res.status === 429 ? 'http_429' : 'http_5xx',
        details: [{ statusCode: res.status }],
        ...(retryAfterMs === undefined ? {} : { nextRetryDelay: retryAfterMs }),
      });
    }
    if (p.failOn4xx && res.status >= 400) {
      throw ApplicationFailure.nonRetryable(`HTTP ${res.status} from ${where}`, 'http_4xx', { statusCode: res.status });
    }
    const parsed = parseBody(res, p.json === true);
    const output: JsonObject = {
      response: { statusCode: res.status, headers: res.headers, body: parsed },
      body: parsed,
    };
    if (JSON.stringify(output).length > MAX_OUTPUT_CHARS) {
      throw ApplicationFailure.nonRetryable(
        `the response (${res.body.length} bytes) makes a step output over Temporal's 2 MB payload limit`,
        'response_too_large',
      );
    }
    return output;
  };
  return {
    'rest-api.json': (p, input) => call(p, input, false),
    'rest-api.generic': (p, input) => call(p, input, true),
  };
}

/**
 * Calls, and while our own outbound throttle holds the call back (nothing was sent), waits its turn and calls
 * again, as long as the call could still start by `lastStart`: a burst to one host is spread out inside the
 * attempt instead of using up the step's attempts. Past `lastStart` the attempt fails `throttled` and Temporal
 * retries it after the throttle's wait.
 */
async function throttledCall(call: () => Promise<OutboundResponse>, lastStart: number): Promise<OutboundResponse> {
  for (;;) {
    try {
      return await call();
    } catch (error) {
      const wait = error instanceof OutboundError && error.code === 'throttled' ? (error.retryAfterMs ?? 0) : undefined;
      if (wait === undefined || Date.now() + wait > lastStart) throw error;
      await Context.current().sleep(Math.max(wait, 10));
    }
  }
}

/** The start of a response body, for failure messages (`: <text>`), or nothing for an empty body. */
function excerpt(body: Buffer): string {
  const text = body.subarray(0, 200).toString('utf8').replace(/\s+/g, ' ').trim();
  return text === '' ? '' : `: ${text}${body.length > 200 ? '...' : ''}`;
}

/** `uri` with `qs` appended (arrays repeat the key); an unparseable `uri` is left for the client to refuse. */
export function withQuery(uri: string, qs: Record<string, string | string[]> | undefined): string {
  if (!qs || Object.keys(qs).length === 0) return uri;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return uri;
  }
  for (const [key, value] of Object.entries(qs)) {
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(key, item);
  }
  return url.toString();
}

/** JSON when the server says so (or the step asked for JSON) and it parses; otherwise the text. */
export function parseBody(res: Pick<OutboundResponse, 'body' | 'headers'>, json: boolean): JsonValue {
  const text = res.body.toString('utf8');
  const type = res.headers['content-type'] ?? '';
  if ((json || /[/+]json\b/i.test(type)) && text.trim() !== '') {
    try {
      return JSON.parse(text) as JsonValue;
    } catch {
      return text;
    }
  }
  return text;
}

/** The server's `Retry-After` for a REST step's next attempt, at most 10 minutes. */
export function restRetryAfter(header: string | undefined, now: number): number | undefined {
  const ms = retryAfterMs(header, now);
  return ms === undefined ? undefined : Math.min(ms, MAX_RETRY_AFTER_MS);
}
