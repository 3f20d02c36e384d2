/**
 * Mutable user tags on runs, with Metaflow's rules: system tags cannot be removed (and the whole
 * change is refused), adding a tag that is already a system tag does nothing, a tag is a non-empty
 * string of at most 500 characters, and a run has at most 50 user tags.
 */
import { CairnError } from '../errors.js';

export const MAX_TAG_LENGTH = 500;
export const MAX_USER_TAGS = 50;

export interface TagChange {
  remove: readonly string[];
  add: readonly string[];
}

/** Checks a list of tags given by a user; returns it deduplicated, in the order given. */
export function validateTags(tags: unknown, what: string): string[] {
  if (typeof tags !== 'string' && !Array.isArray(tags)) {
    throw invalid(`${what} takes an array of tag strings, but got ${describe(tags)}.`);
  }
  const list: unknown[] = typeof tags === 'string' ? [tags] : tags;
  for (const tag of list) {
    if (typeof tag !== 'string') throw invalid(`${what}: every tag must be a string, but got ${describe(tag)}.`);
    if (tag.length === 0) throw invalid(`${what}: a tag cannot be empty.`);
    if (tag.length > MAX_TAG_LENGTH) {
      throw invalid(`${what}: a tag can have at most ${MAX_TAG_LENGTH} characters; '${tag.slice(0, 40)}...' has ${tag.length}.`);
    }
    if (/\p{Surrogate}/u.test(tag)) throw invalid(`${what}: tag '${tag}' is not valid text (it has an unpaired surrogate).`);
  }
  return [...new Set(list as string[])];
}

/**
 * The user tags of a run after removing `change.remove`, then adding `change.add` (tags that are
 * system tags are dropped from the additions). Throws, changing nothing, when a system tag would be
 * removed, when the change is empty, or when the run would have more than 50 user tags.
 */
export function applyTagChange(
  run: { userTags: readonly string[]; systemTags: readonly string[]; pathspec: string },
  change: TagChange,
): string[] {
  if (change.remove.length === 0 && change.add.length === 0) {
    throw invalid('Name at least one tag to add or remove.');
  }
  const system = new Set(run.systemTags);
  const systemRemoved = change.remove.filter((t) => system.has(t));
  if (systemRemoved.length > 0) {
    throw invalid(
      `Cannot remove system tag${systemRemoved.length > 1 ? 's' : ''} ${systemRemoved.map((t) => `'${t}'`).join(', ')} ` +
        `of run ${run.pathspec}: only user tags can be removed. Nothing was changed.`,
    );
  }
  const removed = new Set(change.remove);
  const next = run.userTags.filter((t) => !removed.has(t));
  for (const t of change.add) {
    if (!system.has(t) && !next.includes(t)) next.push(t);
  }
  if (next.length > MAX_USER_TAGS) {
    throw invalid(
      `Run ${run.pathspec} would have ${next.length} user tags; at most ${MAX_USER_TAGS} are allowed. Nothing was changed.`,
    );
  }
  return next;
}

function invalid(message: string): CairnError {
  return new CairnError('INVALID_ARGUMENT', message);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a value of type ${typeof v}`;
}
