/** The `inputs` of a join step, and `mergeArtifacts` with Metaflow's rules. */
import { CairnError } from '../errors.js';
import type { ArtifactInfo } from '../storage/types.js';
import type { MergeOptions } from '../authoring/task-hooks.js';
import type { Binding } from './binding.js';

const ARTIFACTS = Symbol('cairn.inputArtifacts');

interface InputSource {
  step: string;
  taskId: string;
  artifacts: Record<string, ArtifactInfo>;
}

type View = Record<string, unknown> & { [ARTIFACTS]: InputSource };

/** Builds the read-only views of each input task; static-join inputs are also named by step. */
export function makeInputs(sources: InputSource[], load: (name: string, info: ArtifactInfo) => unknown): readonly unknown[] {
  const views = sources.map((src) => {
    const view = {} as View;
    Object.defineProperty(view, ARTIFACTS, { value: src });
    for (const [name, info] of Object.entries(src.artifacts)) {
      let loaded = false;
      let value: unknown;
      Object.defineProperty(view, name, {
        enumerable: true,
        get: () => {
          if (!loaded) {
            value = load(name, info);
            loaded = true;
          }
          return value;
        },
      });
    }
    return Object.freeze(view);
  });
  const byStep = new Set(sources.map((s) => s.step));
  if (byStep.size === sources.length) {
    // A step named like an array member (`length`, `map`...) is reachable by index only, as `Inputs` types it.
    views.forEach((view, i) => {
      const step = sources[i]!.step;
      if (!(step in views)) Object.defineProperty(views, step, { value: view, enumerable: false });
    });
  }
  return Object.freeze(views);
}

function sourceOf(input: unknown): InputSource {
  const src = (input as View | undefined)?.[ARTIFACTS];
  if (!src) {
    throw new CairnError('INVALID_ARGUMENT', 'mergeArtifacts(inputs) takes the inputs parameter of the join step.');
  }
  return src;
}

/**
 * Copies into the join every input artifact not already set on it: same content everywhere (or
 * present on one input only) → merged by hash, without loading; different content → an error
 * naming the artifacts, and nothing is set.
 */
export function mergeArtifacts(
  step: string,
  isJoin: boolean,
  binding: Binding,
  inputs: unknown,
  options: MergeOptions,
): void {
  if (!isJoin) {
    throw new CairnError('INVALID_ARGUMENT', `Step ${step} called mergeArtifacts, which works only in a join step (one that takes inputs).`);
  }
  const { include, exclude } = options;
  if (include && exclude) {
    throw new CairnError('INVALID_ARGUMENT', `Step ${step}: mergeArtifacts takes include or exclude, not both.`);
  }
  if (!Array.isArray(inputs)) {
    throw new CairnError('INVALID_ARGUMENT', 'mergeArtifacts(inputs) takes the inputs parameter of the join step.');
  }
  const wanted = include ? new Set(include) : undefined;
  const skipped = new Set(exclude ?? []);
  const candidates = new Map<string, ArtifactInfo[]>();
  for (const input of inputs) {
    for (const [name, info] of Object.entries(sourceOf(input).artifacts)) {
      if (binding.has(name) || skipped.has(name) || (wanted && !wanted.has(name))) continue;
      const list = candidates.get(name) ?? [];
      list.push(info);
      candidates.set(name, list);
    }
  }
  const conflicts = [...candidates].filter(([, infos]) => new Set(infos.map((i) => i.sha)).size > 1).map(([n]) => n);
  if (conflicts.length) {
    throw new CairnError(
      'MERGE_CONFLICT',
      `Step ${step} cannot merge artifacts whose values differ between its inputs: ${conflicts.sort().join(', ')}. ` +
        'Assign them in the join (for example this.x = inputs[0].x) before calling mergeArtifacts, or pass them in exclude.',
    );
  }
  if (wanted) {
    const missing = [...wanted].filter((n) => !candidates.has(n) && !binding.has(n));
    if (missing.length) {
      throw new CairnError(
        'INVALID_ARGUMENT',
        `Step ${step}: mergeArtifacts was asked to include ${missing.sort().join(', ')}, which no input has.`,
      );
    }
  }
  for (const [name, infos] of candidates) binding.define(name, infos[0]);
}
