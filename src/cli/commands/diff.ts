import { defineCommand, type OptionDefs, type ParsedArgs } from '../command.js';
import { usageError } from '../args.js';

const usage = 'cairn diff FLOW/RUN_A FLOW/RUN_B [--step STEP] [--json] [--private]';

const options = {
  step: { kind: 'string', metavar: 'STEP', help: 'compare only this step' },
  json: { kind: 'flag', help: 'print the comparison as JSON (the RunDiff of the client API)' },
  private: { kind: 'flag', help: 'also compare artifacts whose names start with _' },
} as const satisfies OptionDefs;

export default defineCommand({
  name: 'diff',
  flowless: true,
  summary: 'Compare two runs: parameters, and each step\'s artifacts. Exits 0 when they are equal, 1 when they differ, 2 on trouble.',
  usage,
  positionals: 2,
  options,
  async run(args) {
    // As diff(1) does: 2 for any trouble, so that it is never read as "the runs differ".
    try {
      return await compare(args);
    } catch (e) {
      const { isCairnError } = await import('../../errors.js');
      if (!isCairnError(e)) throw e;
      process.stderr.write(`error: ${e.message}\n`);
      return 2;
    }
  },
});

async function compare(args: ParsedArgs<typeof options>): Promise<number> {
  const [first, second] = args.positionals;
  if (first === undefined || second === undefined) throw usageError(`\`diff\` compares two runs: ${usage}.`);
  const step = args.options.step;
  if (step !== undefined && step.trim() === '') throw usageError('--step needs a step name.');
  const [{ parseRunArg, findRunArg }, { diffRuns }, { diffText }] = await Promise.all([
    import('../inspect/run-arg.js'),
    import('../../client/index.js'),
    import('../inspect/diff-text.js'),
  ]);
  const [a, b] = [parseRunArg(first), parseRunArg(second)];
  const runA = await findRunArg(a);
  const runB = await findRunArg(b);
  const d = await diffRuns(runA, runB, { ...(step !== undefined ? { step } : {}), private: args.options.private === true });
  process.stdout.write(args.options.json ? `${JSON.stringify(d, null, 2)}\n` : diffText(d));
  return d.equal ? 0 : 1;
}
