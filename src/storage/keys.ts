/**
 * Checks on the names that become parts of storage paths and keys, shared by the artifact store
 * backends: blob addresses, path segments (flow, run id, step, task id), attempts, log streams, card ids.
 */
import { CairnError } from '../errors.js';
import { isSha1Hex } from './hash.js';

/** Path segments come from flow, step and task names: refuse anything that could leave the folder. */
export function checkSegment(what: string, s: string): string {
  if (typeof s !== 'string' || s === '' || s === '.' || s === '..' || /[/\\\0]/.test(s)) {
    throw new CairnError('INVALID_ARGUMENT', `Invalid ${what} ${JSON.stringify(s)}: it must be a non-empty name without "/" or "\\".`);
  }
  return s;
}

export function checkAttempt(attempt: number): number {
  if (!Number.isSafeInteger(attempt) || attempt < 0) {
    throw new CairnError('INVALID_ARGUMENT', `Invalid attempt ${String(attempt)}: attempts are integers from 0.`);
  }
  return attempt;
}

export function checkSha(sha: string): string {
  if (typeof sha !== 'string' || !isSha1Hex(sha)) {
    throw new CairnError('INVALID_ARGUMENT', `Invalid blob address ${JSON.stringify(sha)}: expected 40 lowercase hex digits (a sha1).`);
  }
  return sha;
}

/** What a card id may be: it names the card's file (`<cardId>.json`) and is typed on command lines. */
export const CARD_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function checkCardId(id: string): string {
  if (typeof id !== 'string' || !CARD_ID_PATTERN.test(id)) {
    throw new CairnError(
      'INVALID_ARGUMENT',
      `Invalid card id ${JSON.stringify(id)}: use 1 to 64 letters, digits, "_" or "-" (for example "summary").`,
    );
  }
  return id;
}

/** `<cardId>.json` */
export function cardName(cardId: string): string {
  return `${checkCardId(cardId)}.json`;
}
