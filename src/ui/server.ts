/**
 * The web UI's server (`cairn ui`): Node's http, serving the UI's two built files, its pages (one
 * HTML shell) and its JSON API (docs/ui.md). It reads the stores only through the client, in every
 * namespace, and writes nothing.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { Flow, namespace, Run, Task } from '../client/index.js';
import { CairnError } from '../errors.js';
import { apiRoute } from './routes.js';
import { taskPagesRoute } from './task-routes.js';
import { errorBody, sendJson, statusOf } from './http.js';
import { pageHtml } from './page.js';
import { pageDataUrl } from './data-urls.js';
import { pageRoute, pathSegments, type PageRoute } from './paths.js';
import { isLoopbackHost, refusal, setCommonHeaders, setPageHeaders } from './security.js';

export interface UiServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 3737; 0 picks a free port. */
  port?: number;
}

export interface UiServer {
  /** `http://127.0.0.1:3737/` */
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** Where the built front end lives: next to this module in `dist/ui/`, or `dist/ui/` from `src/ui/`. */
function assetsDir(): string {
  const here = fileURLToPath(new URL('./', import.meta.url));
  if (existsSync(`${here}app.js`)) return here;
  return fileURLToPath(new URL('../../dist/ui/', import.meta.url));
}

interface Asset {
  type: string;
  body: Buffer;
}

function loadAssets(): Map<string, Asset> {
  const dir = assetsDir();
  const read = (name: string): Buffer => {
    try {
      return readFileSync(`${dir}${name}`);
    } catch (e) {
      throw new CairnError('INTERNAL', `The UI's ${name} is missing from ${dir}: build cairn first (npm run build).`, { cause: e });
    }
  };
  return new Map([
    ['app.js', { type: 'text/javascript; charset=utf-8', body: read('app.js') }],
    ['app.css', { type: 'text/css; charset=utf-8', body: read('app.css') }],
  ]);
}

/** Whether the object a page shows exists (the page is then 200, else 404). */
async function pageExists(route: PageRoute, q: URLSearchParams): Promise<boolean> {
  try {
    if (route.page === 'runs') await Flow.get(route.flow);
    else if (route.page === 'compare') {
      await Flow.get(route.flow);
      // The page says what to give when a run is not chosen; a run that is named must exist.
      for (const id of [q.get('a'), q.get('b')]) if (id) await Run.get(`${route.flow}/${id}`);
    }
    else if (route.page === 'run') await Run.get(`${route.flow}/${route.runId}`);
    else if (route.page === 'task') await Task.get(`${route.flow}/${route.runId}/${route.step}/${route.taskId}`);
    return true;
  } catch (e) {
    const status = statusOf(e);
    if (status === 404 || status === 400) return false;
    throw e;
  }
}

export async function startUiServer(options: UiServerOptions = {}): Promise<UiServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 3737;
  const loopbackOnly = isLoopbackHost(host);
  const assets = loadAssets();
  // The UI shows every run, whoever started it (the user filter narrows it).
  namespace(null);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    setCommonHeaders(res);
    const url = new URL(req.url ?? '/', 'http://ui.invalid');
    const rawPath = (req.url ?? '/').split('?')[0]!;
    let seg: string[];
    try {
      seg = pathSegments(rawPath);
    } catch (e) {
      sendJson(res, 400, errorBody(e));
      return;
    }
    const isData = seg[0] === 'api' || seg[0] === 'card-frames';
    const refused = refusal(req, { loopbackOnly, dataRequest: isData });
    if (refused) {
      sendJson(res, 403, JSON.stringify({ error: { code: 'FORBIDDEN', message: `Refused: ${refused}.` } }));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      sendJson(res, 405, JSON.stringify({ error: { code: 'METHOD', message: 'The UI only reads: it answers GET and HEAD.' } }));
      return;
    }
    if (seg[0] === 'assets') {
      const asset = seg.length === 2 ? assets.get(seg[1]!) : undefined;
      if (!asset) {
        sendJson(res, 404, JSON.stringify({ error: { code: 'NOT_FOUND', message: `No asset ${rawPath}.` } }));
        return;
      }
      res.writeHead(200, { 'Content-Type': asset.type, 'Cache-Control': 'no-cache', 'Content-Length': asset.body.byteLength });
      res.end(req.method === 'HEAD' ? undefined : asset.body);
      return;
    }
    if (isData) {
      try {
        const handled = (await taskPagesRoute(seg, url.searchParams, res)) || (await apiRoute(seg, url.searchParams, req, res));
        if (!handled) sendJson(res, 404, JSON.stringify({ error: { code: 'NOT_FOUND', message: `The UI's API has no ${rawPath}: see docs/ui.md.` } }));
      } catch (e) {
        if (!res.headersSent) sendJson(res, statusOf(e), errorBody(e));
        else res.destroy();
      }
      return;
    }
    const route = pageRoute(seg);
    let status = route ? 200 : 404;
    if (route && !(await pageExists(route, url.searchParams))) status = 404;
    setPageHeaders(res);
    res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    const preload = route && status === 200 ? pageDataUrl(route, url.searchParams) : undefined;
    res.end(req.method === 'HEAD' ? undefined : pageHtml({ status, ...(preload ? { preload } : {}) }));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) sendJson(res, 500, errorBody(e));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shown}:${addr.port}/`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
