import { defineCommand } from '../command.js';
import { usageError } from '../args.js';
import type { DataArtifact, Task } from '../../client/index.js';
import { artifactLine, DEFAULT_MAX_VALUE_SIZE, renderTable, renderValue, safe, summarize } from '../inspect/values.js';
import { ARROW_ENCODING, POLARS_ENCODING } from '../../storage/frames.js';

/** Rows of a data frame that `dump` prints. */
const FRAME_ROWS = 10;

/** Errors that say the store is damaged (a blob changed or gone, a record unreadable). */
const DAMAGE = new Set(['CORRUPT_BLOB', 'NOT_FOUND', 'STORE']);

/**
 * The text of one artifact: its value, a summary when it is large, or why it cannot be read (and,
 * then, whether that is damage to the store).
 */
async function valueText(a: DataArtifact, maxSize: number): Promise<{ text: string; damaged?: string }> {
  try {
    if (a.encoding === ARROW_ENCODING || a.encoding === POLARS_ENCODING) {
      // Schema, row count and first rows, read from the head of the blob whatever its size.
      const p = await a.preview({ maxRows: FRAME_ROWS, maxLoadBytes: maxSize });
      if (p.kind === 'table') return { text: renderTable(p, a.size) };
    }
    if (a.size > maxSize) return { text: summarize(a.type, a.size) };
    return { text: renderValue(await a.data()) };
  } catch (e) {
    const message = safe((e as Error).message);
    const text = `<${a.type}, cannot be read here: ${message}>`;
    return DAMAGE.has((e as { code?: string }).code ?? '') ? { text, damaged: message } : { text };
  }
}

/** The artifacts to print for a finished task, and the names asked for that it lacks. */
async function artifactsOf(task: Task, include: string[] | undefined, priv: boolean): Promise<{ artifacts: DataArtifact[]; missing: string[] }> {
  if (!include) return { artifacts: await task.artifacts({ private: priv }), missing: [] };
  const artifacts: DataArtifact[] = [];
  const missing: string[] = [];
  for (const name of include) {
    try {
      artifacts.push(await task.artifact(name));
    } catch (e) {
      if ((e as { code?: string }).code !== 'NOT_FOUND') throw e;
      missing.push(name);
    }
  }
  return { artifacts, missing };
}

const usage = 'cairn dump <flow.ts> RUN/STEP[/TASK] [options]';

export default defineCommand({
  name: 'dump',
  summary: "Print a task's artifacts (every task of the step when TASK is left out).",
  usage,
  positionals: 1,
  options: {
    include: { kind: 'string', repeat: true, metavar: 'A,B', help: 'print only these artifacts (comma-separated)' },
    private: { kind: 'flag', help: 'also print artifacts whose names start with _' },
    'max-value-size': { kind: 'int', metavar: 'BYTES', help: 'summarise values stored in more than BYTES bytes (default 1000)' },
  },
  async run(args, flow) {
    const o = args.options;
    const [pathArg] = args.positionals;
    if (pathArg === undefined) throw usageError(`Which task? Give a pathspec: ${usage}.`);
    const maxSize = o['max-value-size'] ?? DEFAULT_MAX_VALUE_SIZE;
    if (maxSize < 0) throw usageError(`--max-value-size must be a whole number of bytes from 0 up; got ${maxSize}.`);
    let include: string[] | undefined;
    if (o.include !== undefined) {
      include = [...new Set(o.include.flatMap((v) => v.split(',')).map((n) => n.trim()).filter((n) => n !== ''))];
      if (include.length === 0) throw usageError('--include needs artifact names, separated by commas: --include a,b.');
    }

    const [{ openFlow, findRun, findStep, findTasks, taskState }, { parseTaskPathArg }, { CairnError }] = await Promise.all([
      import('../inspect/target.js'),
      import('../inspect/pathspec-arg.js'),
      import('../../errors.js'),
    ]);
    const flowName = await openFlow(flow);
    const target = parseTaskPathArg(pathArg, flowName, flow.file);
    const run = await findRun(flowName, target.runId, flow.file);
    const step = await findStep(run, target.step);
    const shown = await findTasks(step, target);
    const single = target.taskId !== undefined;
    const unfinished: string[] = [];
    const missingIn = new Map<string, Task[]>();
    let finishedCount = 0;
    const damaged: string[] = [];

    for (const item of shown) {
      if (!('task' in item)) continue;
      const { task } = item;
      const state = taskState(task);
      if (state !== 'succeeded') {
        const why =
          state === 'running'
            ? 'is still running: its artifacts are stored when it finishes'
            : `failed${task.exception ? ` (${safe(task.exception.type)}: ${safe(task.exception.message)})` : ''}, so it has no artifacts`;
        if (single) throw new CairnError('NOT_FOUND', `Task ${task.pathspec} ${why}.`);
        if (state === 'running') unfinished.push(task.id);
        process.stdout.write(`--- ${task.pathspec} (${state}: no artifacts) ---\n`);
        continue;
      }
      const { artifacts, missing } = await artifactsOf(task, include, o.private === true);
      const lines = [`--- ${task.pathspec}, attempt ${task.retryCount} ---`];
      for (const a of artifacts) {
        const value = await valueText(a, maxSize);
        lines.push(artifactLine(a.name, value.text));
        if (value.damaged) damaged.push(`${task.pathspec} ${safe(a.name)}`);
      }
      if (artifacts.length === 0 && missing.length === 0) lines.push('(no artifacts)');
      process.stdout.write(`${lines.join('\n')}\n`);
      finishedCount++;
      for (const name of missing) missingIn.set(name, [...(missingIn.get(name) ?? []), task]);
    }
    for (const [name, tasks] of missingIn) {
      const first = tasks[0]!;
      const has = (await first.artifacts({ private: o.private === true })).map((a) => a.name).join(', ') || 'none';
      const what =
        tasks.length === 1
          ? `Task ${first.pathspec} has no artifact '${name}' (it has ${has})`
          : tasks.length === finishedCount
            ? `No finished task of step ${step.pathspec} has an artifact '${name}' (task ${first.id} has ${has})`
            : `Tasks ${tasks.map((t) => t.id).join(', ')} of step ${step.pathspec} have no artifact '${name}' (task ${first.id} has ${has})`;
      process.stderr.write(`${what}.\n`);
    }
    if (shown.length === 0) process.stderr.write(`Step ${step.pathspec} has no tasks yet.\n`);
    if (unfinished.length > 0) {
      const s = unfinished.length > 1;
      process.stderr.write(
        `Task${s ? 's' : ''} ${unfinished.join(', ')} of step ${step.pathspec} ${s ? 'have' : 'has'} not finished yet: ` +
          `${s ? 'their' : 'its'} artifacts are stored when ${s ? 'they finish' : 'it finishes'}.\n`,
      );
    }
    if (damaged.length > 0) {
      process.stderr.write(
        `The store is damaged: ${damaged.length} artifact${damaged.length > 1 ? 's' : ''} could not be read (${damaged.join('; ')}). ` +
          'Run the flow again to store these values afresh (a damaged blob is written again when a run stores the same value), or restore the store from a backup.\n',
      );
    }
    return missingIn.size > 0 || damaged.length > 0 ? 1 : 0;
  },
});
