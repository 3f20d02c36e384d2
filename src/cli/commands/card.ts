import { defineCommand, type FlowArg, type OptionDefs } from '../command.js';
import { usageError } from '../args.js';
import type { Card, Task } from '../../client/index.js';

const common = {
  id: { kind: 'string', metavar: 'ID', help: 'the card with this id (needed when the task has several)' },
  attempt: { kind: 'int', metavar: 'N', help: 'the cards of attempt N (from 0) instead of the attempt the task shows' },
} as const satisfies OptionDefs;

const forms = 'RUN/STEP/TASK (or RUN/STEP when the step has one task)';

/** The tasks a pathspec names (one, or every task of a step), at `attempt` if given. */
async function tasksOf(flow: FlowArg, pathArg: string | undefined, usage: string, attempt: number | undefined): Promise<Task[]> {
  if (pathArg === undefined) throw usageError(`Which task? Give a pathspec: ${usage}.`);
  if (attempt !== undefined && attempt < 0) throw usageError(`--attempt must be a whole number from 0 up; got ${attempt}.`);
  const [{ openFlow, findRun, findStep, findTasks }, { parseTaskPathArg }] = await Promise.all([import('../inspect/target.js'), import('../inspect/pathspec-arg.js')]);
  const flowName = await openFlow(flow);
  const target = parseTaskPathArg(pathArg, flowName, flow.file);
  const step = await findStep(await findRun(flowName, target.runId, flow.file), target.step);
  const shown = await findTasks(step, target, attempt);
  return shown.flatMap((s) => ('task' in s ? [s.task] : []));
}

/** The one card a pathspec and `--id` name; the message lists what there is otherwise. */
async function oneCard(flow: FlowArg, pathArg: string | undefined, usage: string, o: { id?: string; attempt?: number }): Promise<Card> {
  const tasks = await tasksOf(flow, pathArg, usage, o.attempt);
  const { NotFoundError } = await import('../../errors.js');
  if (tasks.length !== 1) {
    if (tasks.length === 0) throw new NotFoundError(`${pathArg} has no tasks yet.`);
    const ids = tasks.slice(0, 5).map((t) => t.id).join(', ');
    throw usageError(`Step ${pathArg} has ${tasks.length} tasks (${ids}${tasks.length > 5 ? ', ...' : ''}); name one: ${forms}.`);
  }
  const task = tasks[0]!;
  const cards = await task.cards();
  const at = `task ${task.pathspec} (attempt ${task.retryCount})`;
  if (cards.length === 0) throw new NotFoundError(`${at} has no cards. Give its step @card to draw one.`);
  if (o.id !== undefined) {
    const card = cards.find((c) => c.id === o.id);
    if (!card) throw new NotFoundError(`${at} has no card '${o.id}'; its cards are ${cards.map((c) => c.id).join(', ')}.`);
    return card;
  }
  if (cards.length > 1) throw usageError(`${at} has ${cards.length} cards (${cards.map((c) => c.id).join(', ')}); pick one with --id ID.`);
  return cards[0]!;
}

/** Writes `text` to `file` whole or not at all (a temporary file renamed into place). */
async function writeFileAtomic(file: string, text: string): Promise<void> {
  const { writeFileSync, renameSync, rmSync } = await import('node:fs');
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw usageError(`Could not write ${file}: ${(e as Error).message}.`);
  }
}

const viewUsage = 'cairn card view <flow.ts> RUN/STEP[/TASK] [--id ID] [--file PATH] [--no-open]';
const getUsage = 'cairn card get <flow.ts> RUN/STEP[/TASK] [--id ID] [--html] [--file PATH]';
const listUsage = 'cairn card list <flow.ts> RUN/STEP[/TASK] [--attempt N]';

export default defineCommand({
  name: 'card',
  summary: 'View, get or list the cards of a task.',
  usage: 'cairn card <view|get|list> <flow.ts> RUN/STEP[/TASK] [options]',
  subcommands: [
    defineCommand({
      name: 'view',
      summary: 'Write a card as one self-contained HTML file and open it in the browser.',
      usage: viewUsage,
      positionals: 1,
      options: {
        ...common,
        file: { kind: 'string', metavar: 'PATH', help: 'write the HTML here (default: a file in the system temporary folder)' },
        'no-open': { kind: 'flag', help: 'only write the file and print its path' },
      },
      async run(args, flow) {
        const o = args.options;
        const card = await oneCard(flow, args.positionals[0], viewUsage, o);
        const [{ join, resolve }, { tmpdir }, { mkdirSync }] = await Promise.all([import('node:path'), import('node:os'), import('node:fs')]);
        let file: string;
        if (o.file) file = resolve(o.file);
        else {
          const dir = join(tmpdir(), 'cairn-cards');
          mkdirSync(dir, { recursive: true });
          file = join(dir, `${card.taskPathspec.replace(/\//g, '-')}-${card.attempt}-${card.id}.html`);
        }
        await writeFileAtomic(file, await card.html());
        process.stdout.write(`${file}\n`);
        if (!o['no-open']) await (await import('../open-browser.js')).openInBrowser(file);
        return 0;
      },
    }),
    defineCommand({
      name: 'get',
      summary: 'Print a card document (JSON), or its self-contained HTML with --html.',
      usage: getUsage,
      positionals: 1,
      options: {
        ...common,
        html: { kind: 'flag', help: 'the self-contained HTML file instead of the JSON document' },
        file: { kind: 'string', metavar: 'PATH', help: 'write it to PATH instead of stdout' },
      },
      async run(args, flow) {
        const o = args.options;
        const card = await oneCard(flow, args.positionals[0], getUsage, o);
        const text = o.html ? await card.html() : `${JSON.stringify(await card.data(), null, 2)}\n`;
        if (o.file) await writeFileAtomic(o.file, text);
        else process.stdout.write(text);
        return 0;
      },
    }),
    defineCommand({
      name: 'list',
      summary: 'List the cards of a task, or of every task of a step.',
      usage: listUsage,
      positionals: 1,
      options: { attempt: common.attempt },
      async run(args, flow) {
        const tasks = await tasksOf(flow, args.positionals[0], listUsage, args.options.attempt);
        const { timestamp } = await import('../../orchestrator/console.js');
        let none = 0;
        for (const task of tasks) {
          const cards = await task.cards();
          if (cards.length === 0) {
            none++;
            continue;
          }
          process.stdout.write(`${task.pathspec} (attempt ${task.retryCount})\n`);
          for (const c of cards) {
            const error = c.status === 'error' && c.error ? `: ${c.error.type}: ${c.error.message}` : '';
            process.stdout.write(`    ${c.id}  ${c.type}  ${c.status}  ${timestamp(c.updatedAt.getTime())}${error}\n`);
          }
        }
        if (none === tasks.length) process.stderr.write(`${args.positionals[0]} has no cards${tasks.length ? '' : ' (no tasks yet)'}. Give the step @card to draw one.\n`);
        else if (none > 0) process.stderr.write(`${none} of ${tasks.length} tasks have no cards.\n`);
        return 0;
      },
    }),
  ],
});
