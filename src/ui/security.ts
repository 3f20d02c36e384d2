/**
 * The UI's defences, in one place: the headers every response carries (a strict
 * Content-Security-Policy among them), which hosts and origins get an answer, and which methods.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The pages' policy: only the UI's own script and styles, data only from the UI's own API. */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every answer. */
export function setCommonHeaders(res: ServerResponse): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
}

export function setPageHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', PAGE_CSP);
  res.setHeader('X-Frame-Options', 'DENY');
}

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * Why a request is not answered with data, or undefined when it may be:
 * - a UI listening on a loopback address answers only requests addressed to a loopback name (a web
 *   page cannot reach it through a domain of its own that resolves to 127.0.0.1);
 * - a request another site's page makes (its `Origin` is not this server, or the browser says it is
 *   cross-site) gets no data; following a link to a page is fine, the page itself holds none.
 */
export function refusal(req: IncomingMessage, options: { loopbackOnly: boolean; dataRequest: boolean }): string | undefined {
  const host = req.headers.host ?? '';
  const hostname = host.replace(/:\d+$/, '');
  if (options.loopbackOnly && !isLoopbackHost(hostname)) return `this UI answers only requests addressed to 127.0.0.1 or localhost, not ${JSON.stringify(host)}`;
  if (!options.dataRequest) return undefined;
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${host}`) return 'cross-origin requests get no data';
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return 'cross-site requests get no data';
  return undefined;
}
