import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config';
import {
  createOutboundClient,
  OutboundError,
  outboundConfigFrom,
  type OutboundClient,
  type OutboundConfig,
  type OutboundErrorCode,
} from '../../../src/services/outbound/http';
import { listen, listenRoutes, type Handler, type LocalServer } from '../../helpers/local-server';

function config(overrides: Partial<OutboundConfig> = {}): OutboundConfig {
  return { ...outboundConfigFrom(loadConfig({ OUTBOUND_ALLOW_HOSTS: '127.0.0.1,localhost' })), ...overrides };
}

async function failure(promise: Promise<unknown>): Promise<OutboundError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(OutboundError);
    return error as OutboundError;
  }
  throw new Error('expected an OutboundError, but the call succeeded');
}

async function expectCode(promise: Promise<unknown>, code: OutboundErrorCode): Promise<OutboundError> {
  const error = await failure(promise);
  expect(error.code, error.message).toBe(code);
  return error;
}

describe('createOutboundClient', () => {
  let api: LocalServer;
  let refusedHost: LocalServer;
  let client: OutboundClient;
  let routes: Map<string, Handler>;

  beforeAll(async () => {
    const local = await listenRoutes('127.0.0.1');
    api = local;
    routes = local.routes;
    refusedHost = await listen('127.0.0.2', (_req, res) => res.end('should never be reached'));
    client = createOutboundClient(config());
    routes.set('/json', (req, res, body) => {
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('X-Echo', String(req.headers['x-echo']));
      res.end(JSON.stringify({ method: req.method, body }));
    });
    routes.set('/hang', () => undefined);
    routes.set('/dribble', (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('a');
      const timer = setInterval(() => res.write('a'), 50);
      res.on('close', () => clearInterval(timer));
    });
    routes.set('/big-declared', (_req, res) => res.writeHead(200, { 'Content-Length': 2000 }).end('x'.repeat(2000)));
    routes.set('/big-chunked', (_req, res) => {
      res.writeHead(200);
      for (let i = 0; i < 20; i++) res.write('y'.repeat(100));
      res.end();
    });
    routes.set('/to-refused', (_req, res) => res.writeHead(302, { Location: `${refusedHost.url}/x` }).end());
    routes.set('/loop', (req, res) => {
      const n = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('n') ?? 0);
      res.writeHead(302, { Location: `/loop?n=${n + 1}` }).end();
    });
    routes.set('/see-other', (_req, res) => res.writeHead(303, { Location: '/json' }).end());
    routes.set('/cross-origin', (req, res) => {
      const port = new URL(api.url).port;
      res.writeHead(307, { Location: `http://localhost:${port}/json` }).end();
    });
  });

  afterAll(async () => {
    await client.close?.();
    await api.close();
    await refusedHost.close();
  });

  it('sends the method, headers and body, and returns status, lower-case headers, body and latency', async () => {
    const res = await client.request({
      org: 'o1',
      url: `${api.url}/json`,
      method: 'post',
      headers: { 'X-Echo': 'hello', 'Content-Type': 'text/plain' },
      body: 'ping',
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['x-echo']).toBe('hello');
    expect(JSON.parse(res.body.toString())).toEqual({ method: 'POST', body: 'ping' });
    expect(res.latencyMs).toBeGreaterThanOrEqual(0);
    expect(res.url).toBe(`${api.url}/json`);
  });

  it('refuses a loopback address left out of OUTBOUND_ALLOW_HOSTS before connecting', async () => {
    const error = await expectCode(
      client.request({ org: 'o1', url: `${refusedHost.url}/`, method: 'GET' }),
      'destination_refused',
    );
    expect(error.message).toContain('127.0.0.2 is a loopback address');
    expect(error.retryable).toBe(false);
    expect(refusedHost.hits).toHaveLength(0);
  });

  it('re-checks DNS answers: a name resolving to loopback is refused when neither it nor its address is allowed', async () => {
    const strict = createOutboundClient(config({ allowHosts: [] }));
    try {
      const error = await expectCode(
        strict.request({ org: 'o1', url: `${api.url.replace('127.0.0.1', 'localhost')}/json`, method: 'GET' }),
        'destination_refused',
      );
      expect(error.message).toMatch(/localhost.*loopback address/);
    } finally {
      await strict.close?.();
    }
  });

  it('re-checks every redirect hop: a redirect to a refused host fails without reaching it', async () => {
    const error = await expectCode(
      client.request({ org: 'o1', url: `${api.url}/to-refused`, method: 'GET' }),
      'destination_refused',
    );
    expect(error.message).toContain('127.0.0.2');
    expect(refusedHost.hits).toHaveLength(0);
  });

  it('follows at most 5 redirects', async () => {
    const before = api.hits.length;
    await expectCode(client.request({ org: 'o1', url: `${api.url}/loop`, method: 'GET' }), 'too_many_redirects');
    expect(api.hits.length - before).toBe(6);
  });

  it('turns a POST into a GET without body on 303', async () => {
    const res = await client.request({ org: 'o1', url: `${api.url}/see-other`, method: 'POST', body: 'data' });
    expect(JSON.parse(res.body.toString())).toEqual({ method: 'GET', body: '' });
    expect(res.url).toBe(`${api.url}/json`);
  });

  it('drops credentials when a redirect leaves the origin', async () => {
    await client.request({
      org: 'o1',
      url: `${api.url}/cross-origin`,
      method: 'GET',
      headers: { Authorization: 'Bearer s3cret', 'X-Echo': 'kept' },
    });
    const [first, second] = api.hits.slice(-2);
    expect(first?.headers.authorization).toBe('Bearer s3cret');
    expect(second?.headers.host).toMatch(/^localhost:/);
    expect(second?.headers.authorization).toBeUndefined();
    expect(second?.headers['x-echo']).toBe('kept');
  });

  it('times out a server that never answers, and one that answers too slowly', async () => {
    const started = Date.now();
    const error = await expectCode(
      client.request({ org: 'o1', url: `${api.url}/hang`, method: 'GET', timeoutMs: 200 }),
      'timeout',
    );
    expect(error.retryable).toBe(true);
    await expectCode(
      client.request({ org: 'o1', url: `${api.url}/dribble`, method: 'GET', timeoutMs: 300 }),
      'timeout',
    );
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('caps the response body, declared or streamed', async () => {
    const declared = await expectCode(
      client.request({ org: 'o1', url: `${api.url}/big-declared`, method: 'GET', maxResponseBytes: 1000 }),
      'response_too_large',
    );
    expect(declared.message).toContain('1000 bytes');
    expect(declared.retryable).toBe(false);
    await expectCode(
      client.request({ org: 'o1', url: `${api.url}/big-chunked`, method: 'GET', maxResponseBytes: 1000 }),
      'response_too_large',
    );
    const ok = await client.request({
      org: 'o1',
      url: `${api.url}/big-chunked`,
      method: 'GET',
      maxResponseBytes: 2000,
    });
    expect(ok.body).toHaveLength(2000);
  });

  it('refuses what is not an http(s) URL, and reports a refused connection as a network error', async () => {
    await expectCode(client.request({ org: 'o1', url: 'not a url', method: 'GET' }), 'invalid_url');
    await expectCode(client.request({ org: 'o1', url: 'file:///etc/passwd', method: 'GET' }), 'invalid_url');
    const closed = await listen('127.0.0.1', () => undefined);
    await closed.close();
    const error = await expectCode(
      client.request({ org: 'o1', url: `${closed.url}/`, method: 'GET' }),
      'network_error',
    );
    expect(error.retryable).toBe(true);
  });

  it('spaces calls to one host by its rate, and refuses with retryAfterMs past the bounded wait', async () => {
    const slow = createOutboundClient(
      config({
        throttle: {
          perHost: { ratePerSecond: 5, burst: 1 },
          perOrg: { ratePerSecond: 100, burst: 100 },
          maxWaitMs: 250,
        },
      }),
    );
    try {
      const before = api.hits.length;
      await Promise.all([1, 2].map(() => slow.request({ org: 'o1', url: `${api.url}/json`, method: 'GET' })));
      const [a, b] = api.hits.slice(before).map((hit) => hit.at);
      expect(b! - a!).toBeGreaterThanOrEqual(180);
      // The bucket is now in debt up to ~200 ms; two more calls need 200 and 400 ms: the second is refused.
      const results = await Promise.allSettled(
        [1, 2].map(() => slow.request({ org: 'o1', url: `${api.url}/json`, method: 'GET' })),
      );
      expect(results[0]?.status).toBe('fulfilled');
      const refused = results[1];
      expect(refused?.status).toBe('rejected');
      const error = (refused as PromiseRejectedResult).reason as OutboundError;
      expect(error.code).toBe('throttled');
      expect(error.retryAfterMs).toBeGreaterThan(250);
    } finally {
      await slow.close?.();
    }
  });
});
