import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CairnError } from '../errors.js';
import { formatHelp, parseArgs, selectSubcommand, usageError } from './args.js';
import { defineCommand, type CommandSpec } from './command.js';

const run = {
  name: 'run',
  summary: 'Validate the flow, then run it.',
  usage: 'cairn run <flow.ts> [options]',
  options: {
    'run-id-file': { kind: 'string', metavar: 'FILE', help: 'write the run id to FILE' },
    tag: { kind: 'string', repeat: true, metavar: 'TAG', help: 'add a user tag to the run' },
    'max-workers': { kind: 'int', metavar: 'N', help: 'run at most N tasks at once' },
    retries: { kind: 'int', help: 'retry count' },
    quiet: { kind: 'flag', help: 'print less' },
    splits: { kind: 'int', repeat: true, help: 'split sizes' },
  },
} as const satisfies CommandSpec;

function usage(pattern: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof CairnError, `not a CairnError: ${String(e)}`);
    assert.equal(e.code, 'INVALID_ARGUMENT');
    assert.match(e.message, pattern);
    return true;
  };
}

describe('parseArgs', () => {
  test('collects options it does not declare, when the command accepts them; one without a value is a flag', () => {
    const open = { ...run, extraOptions: true };
    const args = parseArgs(open, ['flow.ts', '--alpha', '0.5', '--verbose', '--no-cache', '--name=x', '--alpha=2', '--last']);
    assert.deepEqual(args.extra, { alpha: ['0.5', '2'], verbose: [true], 'no-cache': [true], name: ['x'], last: [true] });
    assert.deepEqual(args.positionals, ['flow.ts']);
  });

  test('reads known options with their values, and flags as true', () => {
    const args = parseArgs(run, ['--run-id-file', 'id.txt', '--max-workers', '4', '--quiet']);
    assert.deepEqual(args, { options: { 'run-id-file': 'id.txt', 'max-workers': 4, quiet: true }, positionals: [], help: false, extra: {} });
  });

  test('returns no options when none are given', () => {
    assert.deepEqual(parseArgs(run, []), { options: {}, positionals: [], help: false, extra: {} });
  });

  test('reads --option=value, keeping any further = in the value', () => {
    const args = parseArgs(run, ['--run-id-file=out/id.txt', '--max-workers=8', '--tag=k=v', '--tag=']);
    assert.deepEqual(args.options, { 'run-id-file': 'out/id.txt', 'max-workers': 8, tag: ['k=v', ''] });
  });

  test('collects a repeatable option into a list, in order', () => {
    const args = parseArgs(run, ['--tag', 'a', 'flow.ts', '--tag=b', '--tag', 'a']);
    assert.deepEqual(args.options.tag, ['a', 'b', 'a']);
    assert.deepEqual(args.positionals, ['flow.ts']);
  });

  test('keeps the last value of an option that is not repeatable', () => {
    assert.equal(parseArgs(run, ['--max-workers', '2', '--max-workers', '3']).options['max-workers'], 3);
  });

  test('reads whole numbers, negative ones included, as numbers', () => {
    assert.equal(parseArgs(run, ['--retries', '0']).options.retries, 0);
    assert.equal(parseArgs(run, ['--retries=-2']).options.retries, -2);
  });

  test('refuses an int option whose value is not a whole number, quoting the value', () => {
    for (const bad of ['four', '1.5', '1e3', '', ' 3', '0x10', 'Infinity']) {
      assert.throws(
        () => parseArgs(run, [`--max-workers=${bad}`]),
        usage(new RegExp(`^Option --max-workers takes a whole number; got ${JSON.stringify(bad).replace(/[.+]/g, '\\$&')}\\.$`)),
        bad,
      );
    }
  });

  test('refuses an unknown option, naming it, the command and --help', () => {
    assert.throws(
      () => parseArgs(run, ['flow.ts', '--max-worker', '4']),
      usage(/^Unknown option --max-worker for `run`\. Run `cairn run --help` to see its options\.$/),
    );
    assert.throws(() => parseArgs(run, ['--nope=1']), usage(/^Unknown option --nope for `run`/));
  });

  test('does not take the names of Object.prototype for options', () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      assert.throws(() => parseArgs(run, [`--${name}`, 'x']), usage(new RegExp(`^Unknown option --${name} for \`run\``)), name);
    }
  });

  test('collects undeclared options of a command that accepts them, whatever their names', () => {
    const flow = { ...run, extraOptions: true };
    const args = parseArgs(flow, ['--alpha', '1', '--__proto__', 'x', '--alpha=2', '--constructor', 'y']);
    assert.deepEqual(Object.keys(args.extra), ['alpha', '__proto__', 'constructor']);
    assert.deepEqual(args.extra['alpha'], ['1', '2']);
    assert.deepEqual(Object.getOwnPropertyDescriptor(args.extra, '__proto__')?.value, ['x']);
  });

  test('collects a repeatable int option into a list of numbers', () => {
    assert.deepEqual(parseArgs(run, ['--splits', '2', '--splits=3']).options.splits, [2, 3]);
  });

  test('refuses a value given to a flag, rather than ignoring it', () => {
    assert.throws(() => parseArgs(run, ['--quiet=false']), usage(/^Option --quiet takes no value; write --quiet alone\.$/));
  });

  test('refuses an option that needs a value when none follows, naming the value it takes', () => {
    assert.throws(() => parseArgs(run, ['--run-id-file']), usage(/^Option --run-id-file needs a value \(FILE\)\.$/));
    assert.throws(() => parseArgs(run, ['flow.ts', '--retries']), usage(/^Option --retries needs a value \(int\)\.$/));
  });

  test('notices --help and -h anywhere, without failing on the rest', () => {
    assert.equal(parseArgs(run, ['--help']).help, true);
    assert.equal(parseArgs(run, ['flow.ts', '-h', '--tag', 'x']).help, true);
    assert.deepEqual(parseArgs(run, ['flow.ts', '-h', '--tag', 'x']).options, { tag: ['x'] });
    assert.equal(parseArgs(run, ['flow.ts']).help, false);
  });

  test('keeps positional arguments in order, wherever they are', () => {
    const args = parseArgs(run, ['flow.ts', '--max-workers', '2', 'extra', '-x', '--quiet', 'last']);
    assert.deepEqual(args.positionals, ['flow.ts', 'extra', '-x', 'last']);
    assert.deepEqual(args.options, { 'max-workers': 2, quiet: true });
  });

  test('treats the token after an option that takes a value as its value, not as a positional', () => {
    const args = parseArgs(run, ['--run-id-file', 'flow.ts']);
    assert.deepEqual(args.positionals, []);
    assert.equal(args.options['run-id-file'], 'flow.ts');
  });
});

describe('formatHelp', () => {
  test('lists the usage, the summary and every option with its value name', () => {
    const help = formatHelp(run);
    const lines = help.split('\n');
    assert.equal(lines[0], 'Usage: cairn run <flow.ts> [options]');
    assert.equal(lines[2], 'Validate the flow, then run it.');
    assert.equal(lines[4], 'Options:');
    assert.match(help, /^ {2}--run-id-file FILE +write the run id to FILE$/m);
    assert.match(help, /^ {2}--tag TAG +add a user tag to the run \(repeatable\)$/m);
    assert.match(help, /^ {2}--retries INT +retry count$/m);
    assert.match(help, /^ {2}--quiet +print less$/m);
  });

  test('leaves out the options section for a command without options', () => {
    assert.equal(formatHelp({ name: 'check', summary: 'Check it.', usage: 'cairn check <flow.ts>', options: {} }), 'Usage: cairn check <flow.ts>\n\nCheck it.');
  });
});

test('usageError makes an INVALID_ARGUMENT error with the message given', () => {
  const e = usageError('Which flow?');
  assert.ok(e instanceof CairnError);
  assert.equal(e.code, 'INVALID_ARGUMENT');
  assert.equal(e.message, 'Which flow?');
});

describe('selectSubcommand', () => {
  const ran: string[] = [];
  const tag = defineCommand({
    name: 'tag',
    summary: 'Change tags.',
    usage: 'cairn tag <add|list> <flow.ts> [options]',
    subcommands: [
      defineCommand({
        name: 'add',
        summary: 'Add tags.',
        usage: 'cairn tag add <flow.ts> --run-id ID TAG [TAG ...]',
        options: { 'run-id': { kind: 'string', help: 'the run' } },
        positionals: Infinity,
        async run(args) {
          ran.push(`add ${args.options['run-id']}`);
          return 0;
        },
      }),
      defineCommand({
        name: 'list',
        summary: 'List tags.',
        usage: 'cairn tag list <flow.ts>',
        options: { all: { kind: 'flag', help: 'every user' } },
        async run() {
          ran.push('list');
          return 0;
        },
      }),
    ],
  });

  test('takes the first argument as the subcommand, with its own options and run', async () => {
    const { command, argv } = selectSubcommand(tag, ['add', 'flow.ts', '--run-id', '7', 'a', 'b']);
    assert.equal(command.name, 'tag add');
    assert.ok(!('subcommands' in command));
    const args = parseArgs(command, argv);
    assert.deepEqual(args.positionals, ['flow.ts', 'a', 'b']);
    assert.equal(args.options['run-id'], '7');
    assert.throws(() => parseArgs(command, ['--all']), usage(/^Unknown option --all for `tag add`\. Run `cairn tag add --help`/));
    await command.run(args, { file: 'flow.ts' });
    assert.deepEqual(ran, ['add 7']);
  });

  test('returns a command without subcommands as it is', () => {
    const plain = defineCommand({ ...run, run: async () => 0 });
    const r = selectSubcommand(plain, ['flow.ts', '--quiet']);
    assert.equal(r.command, plain);
    assert.deepEqual(r.argv, ['flow.ts', '--quiet']);
  });

  test('refuses a missing or unknown subcommand, listing them', () => {
    assert.throws(() => selectSubcommand(tag, []), usage(/^`tag` needs a subcommand first: add or list\. Usage: cairn tag <add\|list>/));
    assert.throws(() => selectSubcommand(tag, ['--all']), usage(/needs a subcommand first/));
    assert.throws(() => selectSubcommand(tag, ['flow.ts', 'add']), usage(/^Unknown subcommand "flow\.ts" for `tag`\. The subcommands are: add, list\.$/));
  });

  test('--help before the subcommand is the help of the command, which lists its subcommands', () => {
    const { command } = selectSubcommand(tag, ['--help']);
    assert.equal(command, tag);
    const help = formatHelp(tag);
    assert.match(help, /^Subcommands:$/m);
    assert.match(help, /^ {2}add +Add tags\.$/m);
    assert.match(help, /^ {2}list +List tags\.$/m);
  });
});
