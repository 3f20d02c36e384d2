/**
 * Runs one task inside a worker process: builds a fresh flow instance, binds it to its inherited
 * artifacts, calls the step, checks its transition and persists what it assigned.
 */
import { isDeepStrictEqual } from 'node:util';
import { CairnError } from '../errors.js';
import { sha1Hex } from '../storage/hash.js';
import { RAW_ENCODING } from '../storage/raw-codec.js';
import { installHooks, type Transition } from '../authoring/task-hooks.js';
import { stepsOf } from '../authoring/metadata.js';
import { setCurrent } from '../authoring/current.js';
import type { FlowSpec } from '../authoring/flow-spec.js';
import { COMPRESSIONS, encodeArtifact, prepareFrames, readArtifact, readArtifactSync, type Compression } from '../storage/codec.js';
import type { ArtifactInfo, ArtifactStore, TaskRecord } from '../storage/types.js';
import type { ForeachFrame, TaskAttemptKey } from '../core/types.js';
import { Binding } from './binding.js';
import { makeInputs, mergeArtifacts } from './join-inputs.js';
import { checkTransition, chooseCase, elementAt, splitCount } from './transition.js';
import { loadFlowClass } from './code-loader.js';
import type { TaskSpec, TaskSuccess } from './protocol.js';
import { setCurrentCard } from '../authoring/card-access.js';
import { CardSession } from '../cards/session.js';
import type { CardArtifact, DefaultCardTask } from '../cards/default-card.js';
import { toException } from './exception.js';

/** Decoded foreach lists, by content hash, shared by the tasks this worker runs. */
const listCache = new Map<string, unknown>();
const LIST_CACHE_ENTRIES = 8;

function loader(store: ArtifactStore, step: string) {
  return (name: string, info: ArtifactInfo): unknown => {
    return readArtifactSync(store, info, `artifact '${name}' in step ${step}`);
  };
}

function loadList(store: ArtifactStore, sha: string, encoding = 'v8'): unknown {
  let list = listCache.get(sha);
  if (list === undefined) {
    list = readArtifactSync(store, { sha, size: 0, type: '', encoding }, 'the foreach list');
    if (listCache.size >= LIST_CACHE_ENTRIES) listCache.delete(listCache.keys().next().value!);
    listCache.set(sha, list);
  }
  return list;
}

/** A remote store prefetches a join input's artifacts up to this size each, and this much in all. */
const PREFETCH_BLOB_BYTES = 16 * 1024 * 1024;
const PREFETCH_TOTAL_BYTES = 256 * 1024 * 1024;

/**
 * What a store without cheap synchronous reads fetches ahead, in parallel, before the step runs: the
 * foreach lists this worker has not decoded yet, and a join's input artifacts, smallest first (a join
 * over many inputs would otherwise fetch them one lazy read at a time). Other inherited artifacts
 * are read lazily.
 */
function prefetchList(frames: readonly ForeachFrame[], inputs: readonly TaskRecord[]): string[] {
  const shas = frames.map((f) => f.listSha).filter((sha) => !listCache.has(sha));
  const seen = new Set(shas);
  const infos = inputs.flatMap((r) => Object.values(r.artifacts)).filter((i) => i.size <= PREFETCH_BLOB_BYTES);
  let budget = PREFETCH_TOTAL_BYTES;
  for (const info of infos.sort((a, b) => a.size - b.size)) {
    if (seen.has(info.sha)) continue;
    if (info.size > budget) break;
    budget -= info.size;
    seen.add(info.sha);
    shas.push(info.sha);
  }
  return shas;
}

/** A copy of a cached value, so that one task's changes never leak into another's. */
function own<T>(v: T): T {
  return typeof v === 'object' && v !== null ? structuredClone(v) : v;
}

async function readRecord(store: ArtifactStore, key: TaskAttemptKey): Promise<TaskRecord> {
  const record = await store.getTaskRecord(key, key.attempt);
  if (!record) {
    throw new CairnError('NOT_FOUND', `The artifacts of ${key.flow}/${key.runId}/${key.step}/${key.taskId} (attempt ${key.attempt}) are missing from the store.`);
  }
  return record;
}

export async function runTask(spec: TaskSpec, store: ArtifactStore): Promise<TaskSuccess> {
  const cards = new CardSession({ store, task: spec, attempt: spec.attempt, specs: spec.cards?.specs ?? [] });
  const startedAt = Date.now();
  try {
    return await runLoadedTask(spec, store, cards, startedAt);
  } catch (e) {
    // The task failed before its step ran (its flow class did not load, an input is missing...):
    // its cards are drawn with the error and what the orchestrator sent.
    if (spec.cards && !cards.done) await cards.finish({ ...cardTask(spec, startedAt, e), parameters: [], artifacts: [], load: (info) => readArtifact(store, info, 'an artifact shown on a card') });
    throw e;
  }
}

/** What a task's cards say about it, for `CardSession.finish`. */
function cardTask(spec: TaskSpec, startedAt: number, failure?: unknown): DefaultCardTask {
  const ex = failure === undefined ? undefined : toException(failure);
  return {
    pathspec: `${spec.flow}/${spec.runId}/${spec.step}/${spec.taskId}`,
    step: spec.step,
    attempt: spec.attempt,
    user: spec.user,
    tags: spec.tags,
    startedAt,
    finishedAt: Date.now(),
    status: ex ? 'failed' : 'succeeded',
    ...(ex ? { failure: ex } : {}),
    ...(spec.cards?.source ? { source: spec.cards.source } : {}),
    ...(spec.cards?.dag ? { dag: spec.cards.dag } : {}),
  };
}

async function runLoadedTask(spec: TaskSpec, store: ArtifactStore, cards: CardSession, startedAt: number): Promise<TaskSuccess> {
  const Flow = await loadFlowClass(store, spec.code, spec.codeDir);
  const steps = stepsOf(Flow);
  if (!steps.has(spec.step)) {
    throw new CairnError('INVALID_FLOW', `Flow ${spec.flow} has no step ${spec.step} (is the method marked @step?).`);
  }
  const isJoin = spec.expected.type === 'join';
  const [paramsRecord, ...parents] = await Promise.all([spec.params, ...spec.inputs].map((k) => readRecord(store, k)));
  if (store.prefetchBlobs) await store.prefetchBlobs(prefetchList(spec.foreachStack, isJoin ? parents : []));
  await prepareFrames([], [paramsRecord!, ...parents].flatMap((r) => Object.values(r.artifacts).map((i) => i.encoding)));
  const paramNames = new Set(Object.keys(paramsRecord!.artifacts));
  const inherited = isJoin ? paramsRecord!.artifacts : parents[0]!.artifacts;
  const load = loader(store, spec.step);

  const instance = new (Flow as unknown as new () => FlowSpec)();
  const binding = new Binding(instance, { step: spec.step, inherited, readonlyNames: paramNames, load });
  const methods = new Map<unknown, string>();
  for (const name of steps.keys()) methods.set((Flow.prototype as unknown as Record<string, unknown>)[name], name);

  let transition: Transition | undefined;
  const compression = new Map<string, Compression>();
  let inputValue: { v: unknown } | undefined;
  const frames = spec.foreachStack;
  installHooks(instance, {
    stepName: (fn) => methods.get(fn),
    next: (t) => {
      if (transition) {
        throw new CairnError('INVALID_TRANSITION', `Step ${spec.step} called this.next() more than once. Call it once, as the last statement.`);
      }
      transition = t;
    },
    input: () => {
      const frame = frames[frames.length - 1];
      if (!frame) return undefined;
      inputValue ??= { v: own(elementAt(loadList(store, frame.listSha, frame.listEncoding), frame.index)) };
      return inputValue.v;
    },
    index: () => frames[frames.length - 1]?.index,
    foreachStack: () =>
      frames.map((f) => ({ index: f.index, numSplits: f.numSplits, value: own(elementAt(loadList(store, f.listSha, f.listEncoding), f.index)) })),
    mergeArtifacts: (inputs, options) => mergeArtifacts(spec.step, isJoin, binding, inputs, options),
    setCompression: (names, choice) => {
      if (!COMPRESSIONS.includes(choice as Compression)) {
        throw new CairnError('INVALID_ARGUMENT', `Step ${spec.step} called this.setCompression() with ${JSON.stringify(choice)}: use one of ${COMPRESSIONS.map((c) => `'${c}'`).join(', ')}.`);
      }
      for (const n of names) {
        if (typeof n !== 'string' || n === '') throw new CairnError('INVALID_ARGUMENT', `Step ${spec.step} called this.setCompression() with ${JSON.stringify(n)}, which is not an artifact name.`);
        compression.set(n, choice as Compression);
      }
    },
  });

  /** What the step assigned (its values, for the card's previews) and the artifacts stored. */
  const held = new Map<string, unknown>();
  let stored: Record<string, ArtifactInfo> | undefined;
  const drawCards = async (failure?: unknown): Promise<void> => {
    if (!spec.cards) return;
    let artifacts: CardArtifact[];
    if (failure === undefined && stored) {
      artifacts = Object.entries(stored).map(([name, info]) => ({ name, info, ...(held.has(name) ? { value: { v: held.get(name) } } : {}) }));
    } else {
      try {
        artifacts = binding.collect().map((item) => ('info' in item ? { name: item.name, info: item.info } : { name: item.name, value: { v: item.value } }));
      } catch {
        artifacts = [];
      }
    }
    await cards.finish({
      ...cardTask(spec, startedAt, failure),
      parameters: spec.parameterNames.filter((n) => paramsRecord!.artifacts[n]).map((name) => ({ name, info: paramsRecord!.artifacts[name]! })),
      artifacts: artifacts.filter((a) => !paramNames.has(a.name)),
      load: (info) => readArtifact(store, info, 'an artifact shown on a card'),
    });
  };
  let result: TaskSuccess;
  try {
    result = await finishStep();
  } catch (e) {
    await drawCards(e);
    throw e;
  }
  await drawCards();
  return result;

  async function finishStep(): Promise<TaskSuccess> {
    if (spec.fallback) {
      // The @catchError fallback: the step is not run; it ends as its source says, with the failure.
      const { var: name, exception } = spec.fallback;
      if (name) (instance as unknown as Record<string, unknown>)[name] = exception;
      transition = { kind: 'linear', targets: spec.expected.out };
    } else {
      // As Metaflow's @catch: the variable is null unless a failure is caught.
      if (spec.catchVar !== undefined) (instance as unknown as Record<string, unknown>)[spec.catchVar] = null;
      const method = (instance as unknown as Record<string, (...a: unknown[]) => unknown>)[spec.step]!;
      const args = isJoin
        ? [makeInputs(parents.map((r, i) => ({ step: spec.inputs[i]!.step, taskId: spec.inputs[i]!.taskId, artifacts: r.artifacts })), load)]
        : [];
      await withTaskContext(spec, cards, () => method.apply(instance, args));
      checkTransition(spec.step, spec.expected, transition);
    }

    const artifacts: Record<string, ArtifactInfo> = {};
    const items = binding.collect();
    await prepareFrames(items.map((i) => ('value' in i ? i.value : undefined)));
    for (const item of items) {
      if ('info' in item) {
        artifacts[item.name] = item.info;
        continue;
      }
      const { parts, size, type, encoding } = encodeArtifact(item.value, { name: item.name, step: spec.step }, compression.get(item.name));
      held.set(item.name, item.value);
      if (item.was) {
        // A value read and written back: its bytes are hashed (no copy for a raw value) and kept by address when equal.
        const same = sha1Hex(parts) === item.was.sha;
        // V8 may lay out an unchanged value's bytes differently: the values are compared. Raw bytes are the value.
        if (same || (encoding !== RAW_ENCODING && unchanged(item.value, item.was, load, item.name))) {
          artifacts[item.name] = item.was;
          continue;
        }
      }
      const sha = await store.putBlob(parts);
      artifacts[item.name] = { sha, size, type, encoding };
    }

    stored = artifacts;
    const result: TaskSuccess = { ok: true, next: [], artifactCount: Object.keys(artifacts).length };
    if (transition?.kind === 'foreach') {
      const name = transition.foreach;
      const info = artifacts[name];
      const numSplits = splitCount(spec.step, name, (instance as unknown as Record<string, unknown>)[name], spec.maxNumSplits);
      if (!info) throw new CairnError('INVALID_TRANSITION', `Step ${spec.step} has a foreach over '${name}', which is not an artifact.`);
      result.foreach = { var: name, numSplits, listSha: info.sha, ...(info.encoding !== 'v8' ? { listEncoding: info.encoding } : {}) };
      listCache.set(info.sha, (instance as unknown as Record<string, unknown>)[name]);
      result.next = transition.targets;
    } else if (transition?.kind === 'switch') {
      const value = (instance as unknown as Record<string, unknown>)[transition.condition];
      result.next = [chooseCase(spec.step, transition.condition, value, transition.cases)];
    } else if (transition) {
      result.next = transition.targets;
    }
    await store.putTaskRecord(spec, spec.attempt, {
      version: 1,
      artifacts,
      next: result.next,
      ...(result.foreach ? { foreach: result.foreach } : {}),
    });
    return result;
  }
}

function unchanged(value: unknown, was: ArtifactInfo, load: (name: string, info: ArtifactInfo) => unknown, name: string): boolean {
  return isDeepStrictEqual(value, load(name, was));
}

/** Runs the step with `current` (and `current.card`) describing the task and its `@environment` variables set. */
async function withTaskContext<T>(spec: TaskSpec, cards: CardSession, fn: () => T): Promise<Awaited<T>> {
  const saved = Object.keys(spec.environment).map((k) => [k, process.env[k]] as const);
  Object.assign(process.env, spec.environment);
  setCurrent({
    flowName: spec.flow,
    runId: spec.runId,
    stepName: spec.step,
    taskId: spec.taskId,
    retryCount: spec.attempt,
    originRunId: spec.originRunId ?? undefined,
    namespace: spec.namespace,
    username: spec.user,
    tags: spec.tags,
    ...(spec.project
      ? {
          projectName: spec.project.name,
          branchName: spec.project.branch,
          projectFlowName: `${spec.project.name}.${spec.project.branch}.${spec.flow}`,
          isUserBranch: spec.project.branch.startsWith('user.'),
          isProduction: spec.project.branch === 'prod' || spec.project.branch.startsWith('prod.'),
        }
      : {}),
    parameterNames: spec.parameterNames,
  });
  setCurrentCard(cards);
  try {
    return await fn();
  } finally {
    setCurrent(undefined);
    setCurrentCard(undefined);
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
