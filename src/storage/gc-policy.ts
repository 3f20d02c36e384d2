/**
 * The pure part of cleaning a store: reading a policy (`--keep-last`, `--older-than`, `--keep-tag`,
 * `--grace`), and choosing which runs it deletes. No I/O.
 */
import { CairnError } from '../errors.js';
import { stillGoing } from '../core/liveness.js';
import type { RunRow } from './types.js';

/** What `gc` is asked to do, as given (durations as text like `30d`, or milliseconds). */
export interface GcOptions {
  /** Keep the N newest runs of each flow; older ones are deleted (with `olderThan`, only when also old enough). */
  keepLast?: number;
  /** Delete runs created longer ago than this (`30d`, `12h`, `90m`, or milliseconds). */
  olderThan?: string | number;
  /** Never delete runs that carry one of these tags. */
  keepTags?: readonly string[];
  /** Only this flow's runs are considered for deletion (blobs are collected store-wide). */
  flow?: string;
  /** Report what would be deleted, and change nothing. */
  dryRun?: boolean;
  /**
   * A blob is deleted only when it has not been written or reused for this long (default `1h`):
   * the margin for writes in flight and clocks that differ between machines.
   */
  grace?: string | number;
}

/** A checked policy. */
export interface GcPolicy {
  keepLast?: number;
  olderThanMs?: number;
  keepTags: string[];
  flow?: string;
  dryRun: boolean;
  graceMs: number;
}

export const DEFAULT_GRACE_MS = 60 * 60 * 1000;
/** Temporary files are removed once this old (or older than the grace, if that is longer). */
export const TEMP_FILE_AGE_MS = 60 * 60 * 1000;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

function invalid(message: string): CairnError {
  return new CairnError('INVALID_ARGUMENT', `${message} Nothing was deleted.`);
}

/** `30d`, `12h`, `90m`, `45s`, `500ms`, `2w` (or a number of milliseconds) → milliseconds. */
export function parseDuration(value: string | number, what: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
    throw invalid(`${what} must be a duration of at least 0; got ${value}.`);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/.exec(String(value));
  if (!m) {
    throw invalid(`${what} must be a duration such as 30d, 12h, 90m or 45s (units ms, s, m, h, d, w); got ${JSON.stringify(value)}.`);
  }
  return Number(m[1]) * UNITS[m[2]!]!;
}

export function checkPolicy(o: GcOptions = {}): GcPolicy {
  if (o.keepLast !== undefined && (!Number.isSafeInteger(o.keepLast) || o.keepLast < 0)) {
    throw invalid(`--keep-last must be a whole number of runs to keep, 0 or more; got ${String(o.keepLast)}.`);
  }
  const keepTags = [...(o.keepTags ?? [])];
  for (const t of keepTags) {
    if (typeof t !== 'string' || t.trim() === '') throw invalid(`--keep-tag needs a tag; got ${JSON.stringify(t)}.`);
  }
  if (o.flow !== undefined && (typeof o.flow !== 'string' || o.flow.trim() === '')) throw invalid('--flow needs a flow name.');
  return {
    ...(o.keepLast !== undefined ? { keepLast: o.keepLast } : {}),
    ...(o.olderThan !== undefined ? { olderThanMs: parseDuration(o.olderThan, '--older-than') } : {}),
    keepTags,
    ...(o.flow !== undefined ? { flow: o.flow } : {}),
    dryRun: o.dryRun === true,
    graceMs: o.grace === undefined ? DEFAULT_GRACE_MS : parseDuration(o.grace, '--grace'),
  };
}

/** Why a run is kept, when the policy would otherwise delete it, or that it is deleted. */
export type RunVerdict = 'delete' | 'recent' | 'newest' | 'tagged' | 'going' | 'other-flow' | 'no-policy';

/**
 * The verdict on each run (rows of every flow, any order). A run is deleted when the policy selects
 * it: past the `keepLast` newest of its flow (when given) and older than `olderThan` (when given),
 * without a kept tag, and not still going. With neither `keepLast` nor `olderThan`, no run is.
 */
export function judgeRuns(rows: readonly RunRow[], policy: GcPolicy, now: number): Map<RunRow, RunVerdict> {
  const verdicts = new Map<RunRow, RunVerdict>();
  const byFlow = new Map<string, RunRow[]>();
  for (const r of rows) {
    const list = byFlow.get(r.flow) ?? [];
    list.push(r);
    byFlow.set(r.flow, list);
  }
  const selecting = policy.keepLast !== undefined || policy.olderThanMs !== undefined;
  for (const [flow, list] of byFlow) {
    list.sort((a, b) => b.createdAt - a.createdAt || (a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0));
    list.forEach((r, i) => {
      let v: RunVerdict = 'delete';
      if (!selecting) v = 'no-policy';
      else if (policy.flow !== undefined && flow !== policy.flow) v = 'other-flow';
      else if (policy.keepLast !== undefined && i < policy.keepLast) v = 'newest';
      else if (policy.olderThanMs !== undefined && now - r.createdAt <= policy.olderThanMs) v = 'recent';
      else if (policy.keepTags.some((t) => r.userTags.includes(t) || r.systemTags.includes(t))) v = 'tagged';
      else if (stillGoing(r, now) !== undefined) v = 'going';
      verdicts.set(r, v);
    });
  }
  return verdicts;
}

/**
 * The time before which an unreferenced blob may be deleted: the start of the collection, or the
 * start of the oldest run still going if that is earlier (whatever such a run wrote or reused was
 * written after it started), less the grace.
 */
export function blobCutoff(rows: readonly RunRow[], startedAt: number, graceMs: number): { cutoff: number; heldBy?: RunRow } {
  let heldBy: RunRow | undefined;
  for (const r of rows) {
    if (r.createdAt < startedAt && stillGoing(r, startedAt) !== undefined && (!heldBy || r.createdAt < heldBy.createdAt)) heldBy = r;
  }
  return { cutoff: Math.min(startedAt, heldBy?.createdAt ?? startedAt) - graceMs, ...(heldBy ? { heldBy } : {}) };
}
