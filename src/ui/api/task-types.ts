/**
 * The shapes of the task page's and the compare page's answers (docs/ui.md), beside the other
 * pages' in `types.ts`. Times are epoch milliseconds; `null` stands for "not yet" or "none".
 */
import type { ArtifactPreview } from '../../storage/preview.js';
import type { CardDocument } from '../../cards/document.js';
import type { RunDiff } from '../../client/index.js';
import type { RunSummary, TaskSummary, UiRunStatus } from './types.js';

/** One attempt of a task, as the task page lists it. */
export interface AttemptSummary {
  attempt: number;
  status: UiRunStatus;
  /** The attempt was still going when its run was lost. */
  lost: boolean;
  startedAt: number | null;
  finishedAt: number | null;
  /** Why it failed: the error type (`Timeout`, `WorkerLost`, `RunLost`, a JavaScript error...), its message and stack. */
  exception: { type: string; message: string; stack?: string } | null;
}

/** One artifact of the shown attempt, with a bounded preview of its value. */
export interface ArtifactView {
  name: string;
  type: string;
  /** Stored size in bytes. */
  size: number;
  /** Content hash of the stored bytes. */
  sha: string;
  encoding: string;
  /** `unavailable` (with `code: 'CORRUPT_BLOB'` for a damaged blob) when the value could not be read. */
  preview: ArtifactPreview;
}

export interface CardSummary {
  id: string;
  type: string;
  /** `ready`, `rendering` (a live card whose task still runs) or `error`. */
  status: string;
  error: { type: string; message: string } | null;
  updatedAt: number;
  /** The attempt the card belongs to (the origin task's, for a task cloned by resume). */
  attempt: number;
  /** The path of the card's page, to show in a sandboxed frame. */
  frame: string;
}

export interface TaskDetail extends TaskSummary {
  startedAt: number | null;
  /** Pathspecs of the tasks it ran after (the hidden `_parameters` task left out). */
  parents: string[];
  /** For a task cloned by resume: the task it was cloned from. */
  originPathspec: string | null;
}

export interface TaskResponse {
  run: RunSummary;
  /** The task at the attempt shown (`?attempt=N`, else the latest successful one, else the latest). */
  task: TaskDetail;
  attempts: AttemptSummary[];
  /** The shown attempt's artifacts, sorted by name (none for an attempt that did not succeed: see `artifactsNote`). */
  artifacts: ArtifactView[];
  /** Why `artifacts` is empty when it is: the attempt runs, failed, or recorded none. */
  artifactsNote: string | null;
  cards: CardSummary[];
}

/** `…/logs/STREAM`: what the attempt printed on that stream from byte offset `from`. */
export interface TaskLogResponse {
  stream: 'stdout' | 'stderr';
  attempt: number;
  lines: Array<{ at: number | null; text: string }>;
  /** The last line, while it has no newline yet. */
  partial: { at: number | null; text: string } | null;
  /** The offset to ask for next (`from=`) to get only newer output. */
  next: number;
  /** Earlier lines left out of this answer (only the last `MAX_LOG_LINES` are sent; the download has them all). */
  skipped: number;
  /** The attempt is over: nothing more will be printed. */
  finished: boolean;
}

/** A `lines` event of `…/logs/events`: complete lines in the order printed, and the last one while it has no newline. */
export interface TaskLogEvent {
  stream: 'stdout' | 'stderr';
  lines: Array<{ at: number | null; text: string }>;
  partial: { at: number | null; text: string } | null;
  /** Earlier lines left out (the first event of a long output sends the last `MAX_LOG_LINES`). */
  skipped: number;
}

export interface CardsResponse {
  cards: Array<CardSummary & { document: CardDocument }>;
  finished: boolean;
}

/** `/api/flows/F/compare?a=R1&b=R2`. */
export interface CompareResponse {
  a: RunSummary;
  b: RunSummary;
  diff: RunDiff;
  /**
   * Previews of both sides of changed artifacts that are small (both stored in at most
   * `SMALL_VALUE_BYTES`), keyed by `step/place/name` (the place as `TaskDiff.place`).
   */
  values: Record<string, { a: ArtifactPreview; b: ArtifactPreview }>;
}
