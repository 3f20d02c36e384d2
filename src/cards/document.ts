/**
 * The card document: what a card is, as stored (`cards/<flow>/<run>/<step>/<task>/<attempt>/<id>.json`)
 * and as the one viewer renders it, in the web UI and in a self-contained HTML file. It is plain
 * JSON, so a card can be read, diffed and rendered by anything; no HTML is ever stored, and every
 * string in it is shown as text (Markdown is sanitised by the viewer).
 *
 * Version 1. Readers refuse other versions with a message that says to upgrade cairn.
 */
import { CairnError } from '../errors.js';
import type { ArtifactPreview } from '../storage/preview.js';

export const CARD_DOCUMENT_VERSION = 1;

export type CardType = 'default' | 'blank';
export const CARD_TYPES: readonly CardType[] = ['default', 'blank'];

/**
 * `rendering`: a live card the task is still updating (or a task that stopped before its card was
 * finished); `ready`: rendered; `error`: rendering failed or timed out (see `error`), and the
 * components hold what could be shown.
 */
export type CardStatus = 'rendering' | 'ready' | 'error';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A table cell: a JSON primitive, or a component drawn inside the cell. */
export type CardCell = string | number | boolean | null | CardComponent;

export type ImageMime = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/svg+xml';

export type ValueBoxTheme = 'default' | 'success' | 'warning' | 'danger';

/** One step of the flow's graph, as the default card draws it. */
export interface DagStep {
  name: string;
  /** `start`, `linear`, `split`, `foreach`, `switch`, `join` or `end`. */
  type: string;
  /** Successors. */
  out: string[];
  /** For a foreach: the artifact it iterates over. */
  foreach?: string;
  /** For a switch: the condition artifact. */
  condition?: string;
  doc?: string;
}

/** One artifact of the task, as the default card lists it. */
export interface ArtifactItem {
  name: string;
  type: string;
  /** Stored size in bytes. */
  size: number;
  preview: ArtifactPreview;
}

/** The components a card document may hold (`type` tells them apart). */
export type CardComponent =
  | { type: 'markdown'; text: string }
  | { type: 'table'; headers: string[]; rows: CardCell[][]; title?: string; rowCount?: number; truncated?: boolean }
  | { type: 'image'; mime: ImageMime; base64: string; label?: string; width?: number; height?: number; pixelated?: boolean }
  | { type: 'vegaChart'; spec: { [key: string]: JsonValue }; showControls?: boolean }
  | { type: 'progressBar'; value: number; max: number; label?: string; unit?: string; details?: string }
  | {
      type: 'valueBox';
      title: string;
      value: string | number;
      subtitle?: string;
      theme?: ValueBoxTheme;
      change?: { text: string; direction: 'up' | 'down' | 'none' };
    }
  | { type: 'json'; data: JsonValue; collapsed?: boolean; maxHeight?: number; truncated?: boolean }
  | { type: 'artifact'; name?: string; preview: ArtifactPreview }
  | { type: 'code'; code: string; language?: string; title?: string; firstLine?: number }
  | { type: 'error'; title?: string; errorType: string; message: string; stack?: string }
  // The parts the default card is made of.
  | { type: 'section'; title: string; components: CardComponent[] }
  | { type: 'properties'; items: Array<[string, CardCell]> }
  | { type: 'dag'; steps: DagStep[]; highlight?: string }
  | { type: 'artifacts'; items: ArtifactItem[]; note?: string };

export type CardComponentType = CardComponent['type'];

export const COMPONENT_TYPES: readonly CardComponentType[] = [
  'markdown', 'table', 'image', 'vegaChart', 'progressBar', 'valueBox', 'json', 'artifact', 'code', 'error',
  'section', 'properties', 'dag', 'artifacts',
];

export interface CardError {
  type: string;
  message: string;
  stack?: string;
}

export interface CardDocument {
  version: 1;
  /** The card's id: the `id` given to `@card`, else its type. */
  id: string;
  type: CardType;
  status: CardStatus;
  /** Why rendering failed or timed out (status `error`). */
  error?: CardError;
  /** When the document was written (epoch milliseconds). */
  updatedAt: number;
  /** Shown as the card's heading. */
  title: string;
  /** The task the card belongs to. */
  task: { pathspec: string; attempt: number; status: 'running' | 'succeeded' | 'failed' };
  /** For a card that the task updates while it runs: how often, in milliseconds, at most. */
  refreshInterval?: number;
  components: CardComponent[];
}

function bad(where: string, what: string): CairnError {
  return new CairnError('STORE', `The card document ${where} ${what}`);
}

/**
 * Reads a stored card document. A document of another version, or one that is not a card, is
 * refused with a `STORE` error that names where it came from (`where`) and what to do.
 */
export function parseCardDocument(bytes: Uint8Array | string, where: string): CardDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (e) {
    throw new CairnError('STORE', `The card document ${where} is not valid JSON: ${(e as Error).message}.`, { cause: e });
  }
  const d = doc as Partial<CardDocument> | null;
  if (d === null || typeof d !== 'object' || Array.isArray(d)) throw bad(where, 'is not a card (expected a JSON object).');
  if (d.version !== CARD_DOCUMENT_VERSION) {
    throw bad(
      where,
      `has version ${JSON.stringify(d.version)}, which this cairn (card format ${CARD_DOCUMENT_VERSION}) cannot read. ` +
        'It was written by a different version of cairn: read it with that version, or upgrade cairn.',
    );
  }
  if (typeof d.id !== 'string' || !CARD_TYPES.includes(d.type as CardType) || !['rendering', 'ready', 'error'].includes(d.status as string)) {
    throw bad(where, 'lacks its id, type or status.');
  }
  if (!Array.isArray(d.components)) throw bad(where, 'has no components list.');
  return d as CardDocument;
}

/** A document's JSON bytes, as stored. */
export function serializeCardDocument(doc: CardDocument): Uint8Array {
  return Buffer.from(JSON.stringify(doc));
}
