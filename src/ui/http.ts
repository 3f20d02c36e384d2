/** Answering with JSON, and what the client's errors mean as HTTP statuses. */
import type { ServerResponse } from 'node:http';
import { isCairnError } from '../errors.js';
import { BadPath } from './paths.js';

/** The HTTP status of an error: what the client's error codes mean for a request. */
export function statusOf(e: unknown): number {
  if (e instanceof BadPath) return 400;
  if (!isCairnError(e)) return 500;
  switch (e.code) {
    case 'NOT_FOUND':
    case 'NAMESPACE_MISMATCH':
      return 404;
    case 'INVALID_ARGUMENT':
    case 'INVALID_PATHSPEC':
      return 400;
    default:
      return 500;
  }
}

export function errorBody(e: unknown): string {
  const code = e instanceof BadPath ? 'BAD_PATH' : isCairnError(e) ? e.code : 'INTERNAL';
  const message = e instanceof BadPath ? `Refused: ${e.reason}.` : e instanceof Error ? e.message : String(e);
  return JSON.stringify({ error: { code, message } });
}

export function sendJson(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(body);
}

