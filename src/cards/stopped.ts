/**
 * The cards of an attempt whose worker was stopped (a `@timeout`, a crash, out of memory, a stopped
 * run) before it could draw them after the step: the executor ends them here. A live card keeps
 * the last state it was drawn in, marked as an error that says why it stopped; a card never drawn
 * becomes an error card. Cards the worker finished are left as they are.
 */
import type { CardSpec } from '../authoring/decorators.js';
import { taskPathspec, type TaskKey } from '../core/types.js';
import type { ArtifactStore } from '../storage/types.js';
import { CARD_DOCUMENT_VERSION, parseCardDocument, serializeCardDocument, type CardDocument } from './document.js';

/** The card `spec` of an attempt stopped by `failure`, as it ends: undefined when it needs no change. */
export function stoppedCard(
  task: TaskKey,
  attempt: number,
  spec: CardSpec,
  stored: CardDocument | undefined,
  failure: { type: string; message: string },
  now: number,
): CardDocument | undefined {
  if (stored && stored.status !== 'rendering') return undefined;
  const pathspec = taskPathspec(task);
  const why = failure.message || failure.type;
  const error = stored
    ? { type: failure.type, message: `${why} The task was stopped before its card was drawn for the last time: this is its last live update, from ${new Date(stored.updatedAt).toISOString()}.` }
    : { type: failure.type, message: `${why} The task was stopped before its card was drawn.` };
  return {
    ...(stored ?? {
      version: CARD_DOCUMENT_VERSION,
      id: spec.id,
      type: spec.type,
      title: pathspec,
      refreshInterval: Math.round(spec.refreshInterval * 1000),
      components: [],
    }),
    status: 'error',
    error,
    updatedAt: now,
    task: { pathspec, attempt, status: 'failed' },
  };
}

/**
 * Ends every card of a stopped attempt (see `stoppedCard`). Never rejects: a card that cannot be
 * read or stored is left as it is, and the problem returned for the task's log.
 */
export async function endStoppedCards(
  store: ArtifactStore,
  task: TaskKey,
  attempt: number,
  specs: readonly CardSpec[],
  failure: { type: string; message: string },
  now = Date.now(),
): Promise<string[]> {
  const problems: string[] = [];
  await Promise.all(
    specs.map(async (spec) => {
      try {
        const bytes = await store.getCard(task, attempt, spec.id);
        const stored = bytes ? parseCardDocument(bytes, `${spec.id} of ${taskPathspec(task)}`) : undefined;
        const doc = stoppedCard(task, attempt, spec, stored, failure, now);
        if (doc) await store.putCard(task, attempt, spec.id, serializeCardDocument(doc));
      } catch (e) {
        problems.push(`card ${spec.id} of ${taskPathspec(task)} could not be ended: ${e instanceof Error ? e.message : String(e)}`);
      }
    }),
  );
  return problems;
}
