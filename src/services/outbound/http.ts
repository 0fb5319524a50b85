import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request as undiciRequest } from 'undici';
import type { Config } from '../../config';
import { DestinationPolicy, isIpLiteral } from './policy';
import { OutboundThrottle } from './throttle';

/**
 * The one way the worker calls other servers (REST steps, webhook deliveries): a total timeout per call,
 * a cap on response bodies, a destination policy checked on every redirect hop and on every DNS answer
 * (the socket connects to the address that was checked, so a name cannot resolve to a public address for
 * the check and a private one for the call), and per-host and per-org throttling.
 */
export interface OutboundRequest {
  /** For the per-org throttle. */
  org: string;
  url: string;
  /** GET POST PUT PATCH DELETE HEAD */
  method: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Total, including redirects and reading the body; default OUTBOUND_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Default OUTBOUND_MAX_RESPONSE_BYTES (1 MB). */
  maxResponseBytes?: number;
}

export interface OutboundResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
  latencyMs: number;
  /** The final URL, after redirects. */
  url: string;
}

export type OutboundErrorCode =
  | 'destination_refused'
  | 'timeout'
  | 'response_too_large'
  | 'network_error'
  | 'too_many_redirects'
  | 'throttled'
  | 'invalid_url';

const RETRYABLE: ReadonlySet<OutboundErrorCode> = new Set(['network_error', 'timeout', 'throttled']);

export class OutboundError extends Error {
  override name = 'OutboundError';

  constructor(
    readonly code: OutboundErrorCode,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  /** Network errors, timeouts and throttling may succeed later; a refused or malformed destination never will. */
  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}

export interface OutboundClient {
  request(req: OutboundRequest): Promise<OutboundResponse>;
  /** Closes idle connections (worker shutdown). */
  close?(): Promise<void>;
}

export type OutboundConfig = Config['outbound'];

export function outboundConfigFrom(config: Config): OutboundConfig {
  return config.outbound;
}

export const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
/** Headers that carry credentials: not sent on to another origin after a redirect (as browsers do). */
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie'];

export function createOutboundClient(config: OutboundConfig, now: () => number = Date.now): OutboundClient {
  const policy = new DestinationPolicy(config.allowHosts);
  const throttle = new OutboundThrottle(config.throttle, now);
  const agent = new Agent({ connect: { lookup: checkedLookup(policy) }, keepAliveTimeout: 4_000 });

  async function awaitSlot(org: string, host: string, signal: AbortSignal): Promise<void> {
    const decision = throttle.reserve(org, host);
    if (!decision.ok) {
      throw new OutboundError(
        'throttled',
        `outbound calls to ${host} (or from this org) are over their rate; retry in ${decision.retryAfterMs} ms`,
        decision.retryAfterMs,
      );
    }
    if (decision.waitMs > 0) await sleep(decision.waitMs, undefined, { signal });
  }

  async function request(req: OutboundRequest): Promise<OutboundResponse> {
    const timeoutMs = req.timeoutMs ?? config.timeoutMs;
    const maxBytes = req.maxResponseBytes ?? config.maxResponseBytes;
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new OutboundError('timeout', `no complete response within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const started = performance.now();
    let url = parseUrl(req.url);
    let method = req.method.toUpperCase();
    let body = req.body;
    let headers: Record<string, string> = lowerCaseKeys(req.headers ?? {});
    try {
      for (let hop = 0; ; hop++) {
        if (isIpLiteral(url.hostname)) {
          const refusal = policy.refusal(url.hostname.replace(/^\[(.*)\]$/, '$1'));
          if (refusal) throw refused(url.host, refusal);
        }
        await awaitSlot(req.org, url.hostname.toLowerCase(), controller.signal);
        const res = await undiciRequest(url, {
          method: method as 'GET',
          headers,
          body: method === 'GET' || method === 'HEAD' ? undefined : body,
          dispatcher: agent,
          signal: controller.signal,
        });
        const location = res.headers.location;
        if (REDIRECT_STATUSES.has(res.statusCode) && typeof location === 'string') {
          await res.body.dump();
          if (hop >= MAX_REDIRECTS) {
            throw new OutboundError('too_many_redirects', `more than ${MAX_REDIRECTS} redirects (last to ${location})`);
          }
          const next = parseUrl(location, url);
          if (res.statusCode === 303 || ((res.statusCode === 301 || res.statusCode === 302) && method === 'POST')) {
            if (method !== 'HEAD') method = 'GET';
            body = undefined;
            headers = omit(headers, ['content-type', 'content-length']);
          }
          if (next.origin !== url.origin) headers = omit(headers, CREDENTIAL_HEADERS);
          url = next;
          continue;
        }
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxBytes) {
          res.body.on('error', () => undefined).destroy();
          throw tooLarge(maxBytes, `${declared} bytes declared`);
        }
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of res.body) {
          const buf = chunk as Buffer;
          size += buf.length;
          // Leaving the loop destroys the body (and its connection).
          if (size > maxBytes) throw tooLarge(maxBytes, 'more arrived');
          chunks.push(buf);
        }
        return {
          status: res.statusCode,
          headers: flattenHeaders(res.headers),
          body: Buffer.concat(chunks),
          latencyMs: Math.round(performance.now() - started),
          url: url.toString(),
        };
      }
    } catch (error) {
      throw classify(error, controller.signal);
    } finally {
      clearTimeout(timer);
    }
  }

  return { request, close: () => agent.close() };
}

/** Parses an absolute http(s) URL (relative to `base` for a redirect's Location); anything else is invalid_url. */
function parseUrl(raw: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    throw new OutboundError('invalid_url', `"${truncate(raw)}" is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new OutboundError('invalid_url', `only http and https URLs can be called, not ${url.protocol}`);
  }
  return url;
}

/**
 * A DNS lookup for the socket that refuses the connection when any address the name resolves to is
 * refused by the policy (unless the name itself is allowed). The socket then connects to one of exactly
 * these addresses, so the answer checked is the answer used.
 */
function checkedLookup(policy: DestinationPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      if (!policy.hostAllowed(hostname)) {
        for (const { address } of addresses) {
          const refusal = policy.refusal(address);
          if (refusal) return callback(new DestinationRefusedError(hostname, refusal), '', 0);
        }
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      callback(null, first.address, first.family);
    });
  };
}

class DestinationRefusedError extends Error {
  constructor(
    readonly host: string,
    readonly reason: string,
  ) {
    super(`${host}: ${reason}`);
  }
}

function refused(host: string, reason: string): OutboundError {
  return new OutboundError(
    'destination_refused',
    `the destination ${host} is not allowed (${reason}); only public addresses, or hosts in OUTBOUND_ALLOW_HOSTS`,
  );
}

function tooLarge(maxBytes: number, what: string): OutboundError {
  return new OutboundError('response_too_large', `the response body is over the limit of ${maxBytes} bytes (${what})`);
}

/** Maps whatever the call threw (our errors, an abort, undici's and the socket's errors) to an OutboundError. */
function classify(error: unknown, signal: AbortSignal): OutboundError {
  if (error instanceof OutboundError) return error;
  if (signal.aborted && signal.reason instanceof OutboundError) return signal.reason;
  for (let cause: unknown = error, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth++) {
    if (cause instanceof DestinationRefusedError) return refused(cause.host, cause.reason);
  }
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return new OutboundError('network_error', typeof code === 'string' ? `${code}: ${message}` : message);
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

function omit(headers: Record<string, string>, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !names.includes(name)));
}

function truncate(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
