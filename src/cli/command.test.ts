import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineCommand, isGroup, type OptionValues } from './command.js';
import { parseArgs } from './args.js';
import { commandNames, commands, loadCommand } from './registry.js';

/** `true` only when A and B are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectType = <T extends true>(_: T): void => undefined;

test('the types of args.options come from the option declarations', async () => {
  const seen: unknown[] = [];
  const command = defineCommand({
    name: 'demo',
    summary: 'A demo.',
    usage: 'cairn demo <flow.ts> [options]',
    options: {
      file: { kind: 'string', metavar: 'FILE', help: 'a file' },
      count: { kind: 'int', help: 'how many' },
      tag: { kind: 'string', repeat: true, help: 'tags' },
      size: { kind: 'int', repeat: true, help: 'sizes' },
      quiet: { kind: 'flag', help: 'print less' },
    },
    async run(args) {
      const o = args.options;
      expectType<Equal<typeof o.file, string | undefined>>(true);
      expectType<Equal<typeof o.count, number | undefined>>(true);
      expectType<Equal<typeof o.tag, string[] | undefined>>(true);
      expectType<Equal<typeof o.size, number[] | undefined>>(true);
      expectType<Equal<typeof o.quiet, true | undefined>>(true);
      // @ts-expect-error an option that is not declared is not there
      seen.push(o.other);
      // @ts-expect-error an int option is a number, not a string
      const upper: string | undefined = o.count;
      seen.push(upper);
      seen.push(o.file, o.count, o.tag, o.size, o.quiet);
      return 0;
    },
  });
  assert.ok(!isGroup(command));
  await command.run(parseArgs(command, ['--file', 'a', '--count', '3', '--tag', 'x', '--size=1', '--size', '2', '--quiet']), { file: 'flow.ts' });
  assert.deepEqual(seen, [undefined, 3, 'a', 3, ['x'], [1, 2], true]);
});

test('OptionValues maps a table of options to optional values', () => {
  const options = { a: { kind: 'flag', help: '' }, b: { kind: 'string', help: '' } } as const;
  expectType<Equal<OptionValues<typeof options>, { a?: true; b?: string }>>(true);
});

test('the registry loads every command under its own name, each declared with defineCommand', async () => {
  assert.deepEqual(commandNames, ['run', 'resume', 'show', 'check', 'logs', 'dump', 'tag', 'diff', 'card', 'delete', 'gc', 'ui', 'worker', 'init-run', 'step', 'argo-workflows']);
  for (const [name] of commands) {
    const command = await loadCommand(name);
    assert.equal(command?.name, name);
    assert.ok(command && command.summary.endsWith('.'), `${name} has a summary sentence`);
    if (!isGroup(command)) assert.equal(typeof command.run, 'function');
  }
  assert.equal(await loadCommand('nope'), undefined);
});

test('every option of run is a name a flow parameter cannot take (resume takes no parameters)', async () => {
  const { RESERVED_PARAMETER_NAMES } = await import('../orchestrator/parameters.js');
  const command = await loadCommand('run');
  assert.ok(command && !isGroup(command));
  for (const option of Object.keys(command.options ?? {})) {
    assert.ok(RESERVED_PARAMETER_NAMES.includes(option), `--${option} of run is not in RESERVED_PARAMETER_NAMES`);
  }
});
