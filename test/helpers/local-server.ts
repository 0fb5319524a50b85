import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

export interface Hit {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** Date.now() when the request's body had arrived. */
  at: number;
}

/** A real HTTP server on a loopback address, recording every request it gets, for outbound calls to reach. */
export interface LocalServer {
  url: string;
  hits: Hit[];
  server: Server;
  close(): Promise<void>;
}

export async function listen(host: string, handler: Handler): Promise<LocalServer> {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      hits.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, at: Date.now() });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    hits,
    server,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A server whose handler is chosen by path (routes may be added while it runs); 404 for the others. */
export async function listenRoutes(host: string): Promise<LocalServer & { routes: Map<string, Handler> }> {
  const routes = new Map<string, Handler>();
  const local = await listen(host, (req, res, body) => {
    const route = routes.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (route) return route(req, res, body);
    res.writeHead(404).end();
  });
  return { ...local, routes };
}
