import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp, type ApiDeps } from '../../src/api/app';

/**
 * The README's route table is where a newcomer looks a route up, so it must list exactly the routes
 * the app serves. The app is built, not started: its routers only keep their dependencies until a
 * request comes, so none of them is needed here.
 */

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
  rawPath?: unknown;
}

/** `METHOD /path` of every route registered on the app, mounted routers included (one level, as app.ts mounts them). */
function registeredRoutes(): string[] {
  const deps = { config: { maxActiveWorkflows: 1 } } as unknown as ApiDeps;
  const app = createApp(deps) as unknown as { router: { stack: Layer[] } };
  const routes: string[] = [];
  const collect = (stack: Layer[], prefix: string): void => {
    for (const layer of stack) {
      if (layer.route) {
        const full = `${prefix}${layer.route.path}`.replace(/(.)\/$/, '$1');
        for (const method of Object.keys(layer.route.methods)) routes.push(`${method.toUpperCase()} ${full}`);
      } else if (layer.handle.stack) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        collect(layer.handle.stack, `${prefix}${mount}`);
      }
    }
  };
  collect(app.router.stack, '');
  return routes.sort();
}

/** `METHOD /path` of every row of the README's route table: rows starting "| `GET` | `/v1/runs` |". */
function documentedRoutes(): string[] {
  const readme = readFileSync(path.resolve(__dirname, '..', '..', 'README.md'), 'utf8');
  const rows = readme.matchAll(/^\| `(GET|POST|PUT|PATCH|DELETE|OPTIONS)` +\| `([^`]+)` +\|/gm);
  return [...rows].map(([, method, route]) => `${method} ${route}`).sort();
}

describe('createApp', () => {
  it('registers the routes it is expected to (the walk over its routers finds them)', () => {
    const routes = registeredRoutes();
    expect(routes).toContain('GET /healthz');
    expect(routes).toContain('POST /v1/orgs');
    expect(routes).toContain('POST /v1/runs/:id/cancel');
  });

  it('serves exactly the routes of the README route table', () => {
    expect(documentedRoutes()).toEqual(registeredRoutes());
  });
});
