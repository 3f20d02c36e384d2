import { defineCommand } from '../command.js';
import { usageError } from '../args.js';

const usage = 'cairn logs <flow.ts> RUN/STEP[/TASK] [options]';

export default defineCommand({
  name: 'logs',
  summary: 'Print what a task printed (every task of the step when TASK is left out).',
  usage,
  positionals: 1,
  options: {
    stdout: { kind: 'flag', help: 'show what the task printed on stdout (the default)' },
    stderr: { kind: 'flag', help: 'show stderr instead of stdout' },
    both: { kind: 'flag', help: 'show stdout, then stderr' },
    attempt: { kind: 'int', metavar: 'N', help: 'show attempt N (from 0) instead of the latest' },
    timestamps: { kind: 'flag', help: 'start each line with the time it was printed' },
  },
  async run(args, flow) {
    const o = args.options;
    const [pathArg] = args.positionals;
    if (pathArg === undefined) throw usageError(`Which task? Give a pathspec: ${usage}.`);
    const attempt = o.attempt;
    if (attempt !== undefined && attempt < 0) throw usageError(`--attempt must be a whole number from 0 up; got ${attempt}.`);
    const streams: Array<'stdout' | 'stderr'> =
      o.both || (o.stdout && o.stderr) ? ['stdout', 'stderr'] : o.stderr ? ['stderr'] : ['stdout'];

    const [{ openFlow, findRun, findStep, findTasks, taskState }, { parseTaskPathArg }, { timestamp }] = await Promise.all([
      import('../inspect/target.js'),
      import('../inspect/pathspec-arg.js'),
      import('../../orchestrator/console.js'),
    ]);
    const flowName = await openFlow(flow);
    const target = parseTaskPathArg(pathArg, flowName, flow.file);
    const run = await findRun(flowName, target.runId, flow.file);
    const step = await findStep(run, target.step);
    const shown = await findTasks(step, target, attempt);
    const headers = target.taskId === undefined || streams.length > 1;
    if (shown.length === 0) process.stderr.write(`Step ${step.pathspec} has no tasks yet.\n`);

    for (const item of shown) {
      if (!('task' in item)) {
        process.stdout.write(`--- ${item.pathspec} ${item.missing} ---\n`);
        continue;
      }
      const { task } = item;
      const state = taskState(task);
      for (const stream of streams) {
        let out: string;
        if (o.timestamps) {
          const lines = await task.loglines(stream);
          out = lines.map((l) => (l.at ? `${timestamp(l.at.getTime())} ${l.text}\n` : `${l.text}\n`)).join('');
        } else {
          out = await task[stream]();
          if (out !== '' && !out.endsWith('\n')) out += '\n';
        }
        if (headers) {
          process.stdout.write(`--- ${task.pathspec}, attempt ${task.retryCount} (${state}), ${stream} ---\n`);
          process.stdout.write(out === '' ? '(nothing printed)\n' : out);
          continue;
        }
        process.stdout.write(out);
        if (state === 'running') process.stderr.write(`Task ${task.pathspec} is still running: this is its ${stream} so far.\n`);
        else if (out === '') process.stderr.write(`Task ${task.pathspec} printed nothing on ${stream} (attempt ${task.retryCount}).\n`);
      }
    }
    return 0;
  },
});
