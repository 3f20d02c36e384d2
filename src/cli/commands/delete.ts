import { defineCommand, type OptionDefs } from '../command.js';
import { usageError } from '../args.js';

const usage = 'cairn delete FLOW/RUN_ID [FLOW/RUN_ID ...] [--force]';

const options = {
  force: { kind: 'flag', help: 'delete runs that are still going too (their running tasks then fail)' },
} as const satisfies OptionDefs;

export default defineCommand({
  name: 'delete',
  flowless: true,
  summary: 'Delete runs: their metadata, task records, logs and cards. Blobs no run uses any more go with `cairn gc`.',
  usage,
  positionals: Infinity,
  options,
  async run(args) {
    if (args.positionals.length === 0) throw usageError(`\`delete\` needs the runs to delete: ${usage}.`);
    const [{ parseRunArg, findRunArg }, { clientContext }, { deleteRuns }, { formatSize }] = await Promise.all([
      import('../inspect/run-arg.js'),
      import('../../client/context.js'),
      import('../../storage/gc.js'),
      import('../inspect/values.js'),
    ]);
    const named = args.positionals.map(parseRunArg);
    // Every run is found before anything is deleted: one that is missing changes nothing.
    for (const arg of named) await findRunArg(arg);
    const { deleted, bytes } = await deleteRuns(await clientContext(), named, { force: args.options.force === true });
    for (const pathspec of deleted) process.stdout.write(`Deleted run ${pathspec}\n`);
    process.stdout.write(`${deleted.length} run(s) deleted, ${formatSize(bytes)} of records, logs and cards freed. ` +
      'Run `cairn gc` to delete the blobs no remaining run uses.\n');
    return 0;
  },
});
