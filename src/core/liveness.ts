/**
 * Whether a run is still alive. An orchestrator records a heartbeat on its run every interval; a
 * process that dies without recording the end of its run (SIGKILL, out of memory, a power loss)
 * stops beating, and readers then see the run as failed ("lost") instead of running forever.
 *
 * Pure: the metadata stores only record times, and every reader (client, CLI, UI, `resume`,
 * deleting runs) decides with these functions.
 */
import { CairnError } from '../errors.js';

/** How often an orchestrator records its heartbeat, unless `CAIRN_HEARTBEAT_INTERVAL` says otherwise. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5000;
/** A run is lost once this many intervals passed without a heartbeat... */
export const LOST_AFTER_BEATS = 3;
/** ...plus this much, for timers firing late and writes queued behind others. */
export const HEARTBEAT_SLACK_MS = 2000;

export const HEARTBEAT_INTERVAL_ENV = 'CAIRN_HEARTBEAT_INTERVAL';

/** What liveness needs of a run row. */
export interface RunLiveness {
  status: string;
  /** Epoch ms of the last heartbeat; null for runs that do not record one. */
  heartbeatAt: number | null;
  /** The interval the orchestrator promised to beat at; null with `heartbeatAt`. */
  heartbeatIntervalMs: number | null;
}

/** The heartbeat interval an orchestrator uses, from `CAIRN_HEARTBEAT_INTERVAL` (milliseconds). */
export function heartbeatInterval(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[HEARTBEAT_INTERVAL_ENV]?.trim();
  if (!raw) return DEFAULT_HEARTBEAT_INTERVAL_MS;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 10 || ms > 3_600_000) {
    throw new CairnError(
      'INVALID_ARGUMENT',
      `${HEARTBEAT_INTERVAL_ENV} must be a whole number of milliseconds from 10 to 3600000; got ${JSON.stringify(raw)}.`,
    );
  }
  return ms;
}

/** How long after its last heartbeat a running run counts as lost. */
export function lostAfterMs(intervalMs: number): number {
  return LOST_AFTER_BEATS * intervalMs + HEARTBEAT_SLACK_MS;
}

/**
 * A run is lost when it is recorded as running but its orchestrator has not beaten for longer than
 * `lostAfterMs`. A run without a heartbeat (recorded before heartbeats existed, or driven by a
 * scheduler that finishes it itself) is never judged lost.
 */
export function isLost(run: RunLiveness, now: number = Date.now()): boolean {
  if (run.status !== 'running' || run.heartbeatAt === null || run.heartbeatIntervalMs === null) return false;
  return now - run.heartbeatAt > lostAfterMs(run.heartbeatIntervalMs);
}

/** The message a lost run (and its unfinished tasks) reads with. */
export function lostReason(run: RunLiveness & { flow: string; runId: string }): string {
  const at = run.heartbeatAt === null ? 'its last heartbeat' : new Date(run.heartbeatAt).toISOString();
  return (
    `Run ${run.flow}/${run.runId} was lost: its orchestrator stopped recording heartbeats at ${at} without recording ` +
    'the end of the run (the process was killed, ran out of memory, or its machine stopped). Resume it with `cairn resume`.'
  );
}

/** A run's state in words: its status, or `failed (lost)`. */
export function runStatusLabel(run: RunLiveness, now: number = Date.now()): string {
  return isLost(run, now) ? 'failed (lost)' : run.status;
}

/**
 * Why a run recorded as running may still be going (for refusing to resume or delete it), or
 * undefined when it is finished or lost.
 */
export function stillGoing(run: RunLiveness & { flow: string; runId: string }, now: number = Date.now()): string | undefined {
  if (run.status !== 'running' || isLost(run, now)) return undefined;
  if (run.heartbeatAt === null) {
    return `Run ${run.flow}/${run.runId} is recorded as running and records no heartbeat, so cairn cannot tell whether it is still going`;
  }
  const ago = Math.max(0, Math.round((now - run.heartbeatAt) / 1000));
  return `Run ${run.flow}/${run.runId} is still running (its orchestrator recorded a heartbeat ${ago} s ago)`;
}
