import { defineCommand, type FlowArg, type OptionDefs, type OptionValues } from '../command.js';
import { usageError } from '../args.js';
import type { Run } from '../../client/index.js';

const runId = { kind: 'string', metavar: 'ID', help: 'the run to change' } as const;
const DEFAULT_LIMIT = 10;

/** Checks the tags of `tag add|remove|replace`, then changes the run's tags and prints them. */
async function change(flow: FlowArg, sub: 'add' | 'remove' | 'replace', usage: string, id: string | undefined, given: { add?: string[]; remove?: string[] }) {
  const [{ openFlow, findRun }, { validateTags }] = await Promise.all([import('../inspect/target.js'), import('../../core/tags.js')]);
  const name = `tag ${sub}`;
  if (id === undefined || id === '') throw usageError(`\`${name}\` needs the run: --run-id ID. Usage: ${usage}.`);
  const remove = validateTags(given.remove ?? [], name);
  const add = validateTags(given.add ?? [], name);
  if (sub === 'replace' && remove.length + add.length === 0) {
    throw usageError(`\`${name}\` needs tags: --remove TAG and/or --add TAG. Usage: ${usage}.`);
  }
  if (sub !== 'replace' && remove.length + add.length === 0) throw usageError(`\`${name}\` needs at least one TAG. Usage: ${usage}.`);

  const run = await findRun(await openFlow(flow), id, flow.file);
  const before = new Set(run.userTags);
  if (sub === 'add') await run.addTags(add);
  else if (sub === 'remove') await run.removeTags(remove);
  else await run.replaceTags(remove, add);
  const system = new Set(run.systemTags);
  for (const t of add) {
    if (system.has(t)) process.stderr.write(`'${t}' is a system tag of ${run.pathspec}; it was not added as a user tag.\n`);
  }
  for (const t of remove) {
    if (!before.has(t) && !add.includes(t)) process.stderr.write(`${run.pathspec} had no user tag '${t}'; nothing to remove.\n`);
  }
  process.stdout.write(await tagBlock(run, false));
  return 0;
}

const addUsage = 'cairn tag add <flow.ts> --run-id ID TAG [TAG ...]';
const removeUsage = 'cairn tag remove <flow.ts> --run-id ID TAG [TAG ...]';
const replaceUsage = 'cairn tag replace <flow.ts> --run-id ID --remove TAG --add TAG';

const listOptions = {
  'run-id': { kind: 'string', repeat: true, metavar: 'ID', help: 'list this run (any user) instead of the newest runs' },
  all: { kind: 'flag', help: "include other users' runs (every namespace)" },
  'hide-system-tags': { kind: 'flag', help: 'show only user tags' },
  limit: { kind: 'int', metavar: 'N', help: `list at most N runs (default ${DEFAULT_LIMIT})` },
} as const satisfies OptionDefs;

export default defineCommand({
  name: 'tag',
  summary: 'Add, remove, replace or list the user tags of runs.',
  usage: 'cairn tag <add|remove|replace|list> <flow.ts> [options]',
  subcommands: [
    defineCommand({
      name: 'add',
      summary: 'Add user tags to a run.',
      usage: addUsage,
      options: { 'run-id': runId },
      positionals: Infinity,
      run: (args, flow) => change(flow, 'add', addUsage, args.options['run-id'], { add: args.positionals }),
    }),
    defineCommand({
      name: 'remove',
      summary: 'Remove user tags from a run (system tags cannot be removed).',
      usage: removeUsage,
      options: { 'run-id': runId },
      positionals: Infinity,
      run: (args, flow) => change(flow, 'remove', removeUsage, args.options['run-id'], { remove: args.positionals }),
    }),
    defineCommand({
      name: 'replace',
      summary: 'Remove some user tags of a run, then add others, in one change.',
      usage: replaceUsage,
      options: {
        'run-id': runId,
        remove: { kind: 'string', repeat: true, metavar: 'TAG', help: 'a user tag to remove' },
        add: { kind: 'string', repeat: true, metavar: 'TAG', help: 'a user tag to add' },
      },
      run: (args, flow) =>
        change(flow, 'replace', replaceUsage, args.options['run-id'], {
          ...(args.options.remove ? { remove: args.options.remove } : {}),
          ...(args.options.add ? { add: args.options.add } : {}),
        }),
    }),
    defineCommand({
      name: 'list',
      summary: "List the tags of the flow's newest runs, or of the runs given.",
      usage: 'cairn tag list <flow.ts> [--run-id ID] [--all] [--hide-system-tags] [--limit N]',
      options: listOptions,
      async run(args, flow) {
        const { openFlow } = await import('../inspect/target.js');
        return list(args.options, await openFlow(flow), flow.file);
      },
    }),
  ],
});

async function list(o: OptionValues<typeof listOptions>, flowName: string, file: string): Promise<number> {
  const hide = o['hide-system-tags'] === true;
  const limit = o.limit ?? DEFAULT_LIMIT;
  if (limit < 1) throw usageError(`--limit must be a whole number of at least 1; got ${limit}.`);
  const ids = o['run-id'];
  const { findRun } = await import('../inspect/target.js');
  if (ids) {
    if (o.all || o.limit !== undefined) throw usageError('`tag list --run-id` lists the runs given; leave out --all and --limit.');
    const blocks = [];
    for (const id of ids) blocks.push(await tagBlock(await findRun(flowName, id, file), hide));
    process.stdout.write(blocks.join('\n'));
    return 0;
  }
  const [{ Flow, defaultNamespace, namespace }, { NotFoundError }] = await Promise.all([
    import('../../client/index.js'),
    import('../../errors.js'),
  ]);
  const ns = o.all ? namespace(null) : defaultNamespace();
  let f;
  try {
    f = await Flow.get(flowName);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'NOT_FOUND') throw new NotFoundError(`The store has no run of ${flowName} (defined in ${file}) yet. Run it first: cairn run ${file}.`);
    if (code === 'NAMESPACE_MISMATCH') {
      throw new NotFoundError(`${flowName} has no run in namespace ${ns}. Add --all to list the runs of every user.`);
    }
    throw e;
  }
  const blocks: string[] = [];
  let more = false;
  for await (const run of f.runs({ pageSize: Math.min(limit + 1, 100) })) {
    if (blocks.length === limit) {
      more = true;
      break;
    }
    blocks.push(await tagBlock(run, hide));
  }
  process.stdout.write(blocks.join('\n'));
  const where = ns === null ? 'of every user' : `in namespace ${ns}`;
  if (more) process.stderr.write(`The ${limit} newest runs of ${flowName} ${where} are shown; use --limit N to see more.\n`);
  return 0;
}

/** A run and its tags: `Flow/run (status, started ... by user)`, then its user and system tags. */
async function tagBlock(run: Run, hideSystem: boolean): Promise<string> {
  const [{ timestamp }, { runState }] = await Promise.all([import('../../orchestrator/console.js'), import('../inspect/target.js')]);
  const lines = [`${run.pathspec} (${runState(run)}, started ${timestamp(run.createdAt.getTime())} by ${run.user})`];
  lines.push(`    user tags:   ${run.userTags.join(', ') || '(none)'}`);
  if (!hideSystem) lines.push(`    system tags: ${[...run.systemTags].sort().join(', ')}`);
  return `${lines.join('\n')}\n`;
}
