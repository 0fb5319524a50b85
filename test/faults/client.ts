/**
 * The fault suite's HTTP client: a client as a careful integrator writes it against several API
 * processes. A 503 waits its `Retry-After`; a refused or broken connection moves to the next API at once;
 * every `POST /v1/events` carries an `Idempotency-Key`, so repeating it is safe. It counts what it saw:
 * a 500 is a bug whatever the fault, a 503 without `Retry-After` too.
 */
import { sleep } from '../../scripts/dev/process-utils';
import type { Service } from './services';

export interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the suite reads arbitrary JSON shapes
  body: any;
  retryAfter: string | null;
}

export interface RequestOptions {
  key?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Give up (throw) after this long without a 2xx. */
  deadlineMs?: number;
  /** Which API to try first (index into the list); the next one after a broken connection. */
  prefer?: number;
}

/** One attempt at one API, for watching what happens to requests in flight when a process is signalled. */
export interface Attempt {
  api: string;
  path: string;
  /** The status, or the network error's text. */
  settled: Promise<number | string>;
}

export interface Traffic {
  requests: number;
  /** 503 answers, and how many of them lacked `Retry-After`. */
  unavailable: number;
  unavailableWithoutRetryAfter: number;
  /** 5xx other than 503: always a bug. */
  internal: number;
  /** Refused, reset or timed-out connections. */
  network: number;
  /** The first few 5xx bodies and network errors, for the report. */
  samples: string[];
}

export const emptyTraffic = (): Traffic => ({
  requests: 0,
  unavailable: 0,
  unavailableWithoutRetryAfter: 0,
  internal: 0,
  network: 0,
  samples: [],
});

const ATTEMPT_TIMEOUT_MS = 60_000;

export class ApiClient {
  readonly traffic = emptyTraffic();
  private readonly inFlight = new Map<string, Set<Attempt>>();
  private gate: Promise<void> = Promise.resolve();
  private next = 0;

  constructor(private readonly apis: Service[]) {}

  /** Requests in flight at `service` right now. */
  inFlightAt(service: Service): Attempt[] {
    return [...(this.inFlight.get(service.url) ?? [])];
  }

  /** Retries after a broken connection wait until the returned function is called. */
  holdRetries(): () => void {
    let release = (): void => undefined;
    this.gate = new Promise((resolve) => (release = resolve));
    return release;
  }

  private note(sample: string): void {
    if (this.traffic.samples.length < 8) this.traffic.samples.push(sample.slice(0, 300));
  }

  /** One request to one API, no retry. Throws on a network error. */
  async once(api: Service, method: string, path: string, opts: RequestOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.key) headers.authorization = `Bearer ${opts.key}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    let settle: (value: number | string) => void = () => undefined;
    const attempt: Attempt = { api: api.name, path, settled: new Promise((resolve) => (settle = resolve)) };
    const set = this.inFlight.get(api.url) ?? new Set();
    this.inFlight.set(api.url, set);
    set.add(attempt);
    this.traffic.requests++;
    try {
      const res = await fetch(`${api.url}${path}`, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
      });
      const text = await res.text();
      settle(res.status);
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      return { status: res.status, body, retryAfter: res.headers.get('retry-after') };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      settle(cause ?? (error as Error).name);
      throw error;
    } finally {
      set.delete(attempt);
    }
  }

  /**
   * Sends until a 2xx, across the APIs: a 503 waits `Retry-After` and tries again, a broken connection
   * tries the next API, a 500 is counted and retried after a second. A 4xx is a bug in the suite: thrown.
   */
  async call(method: string, path: string, opts: RequestOptions = {}): Promise<Answer> {
    const deadline = Date.now() + (opts.deadlineMs ?? 180_000);
    let index = opts.prefer ?? this.next++;
    for (;;) {
      const api = this.apis[index % this.apis.length]!;
      let answer: Answer | undefined;
      try {
        answer = await this.once(api, method, path, opts);
      } catch (error) {
        this.traffic.network++;
        this.note(
          `${api.name} ${method} ${path}: ${(error as Error).message} ${String((error as { cause?: unknown }).cause ?? '')}`,
        );
        index++;
        if (Date.now() > deadline) throw new Error(`${method} ${path}: no answer before the deadline`);
        await sleep(100);
        await this.gate;
        continue;
      }
      if (answer.status < 300) return answer;
      if (answer.status < 500) {
        throw new Error(`${method} ${path} -> ${answer.status} ${JSON.stringify(answer.body)}`);
      }
      let waitMs = 1_000;
      if (answer.status === 503) {
        this.traffic.unavailable++;
        if (answer.retryAfter === null) this.traffic.unavailableWithoutRetryAfter++;
        else waitMs = Number(answer.retryAfter) * 1000 || 1_000;
      } else {
        this.traffic.internal++;
        this.note(`${api.name} ${method} ${path} -> ${answer.status} ${JSON.stringify(answer.body)}`);
      }
      if (Date.now() > deadline) throw new Error(`${method} ${path}: still ${answer.status} at the deadline`);
      await sleep(waitMs);
    }
  }
}
