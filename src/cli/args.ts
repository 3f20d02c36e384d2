/**
 * A small declarative argument parser: each command lists its options; anything else is an error
 * that names the option and points to `--help`.
 */
import { CairnError } from '../errors.js';
import { isGroup, type AnyCommand, type Command, type CommandSpec, type GroupCommandDef, type OptionDefs, type ParsedArgs } from './command.js';

export type { CommandSpec, OptionDef, OptionDefs, ParsedArgs } from './command.js';

export function usageError(message: string): CairnError {
  return new CairnError('INVALID_ARGUMENT', message);
}

/**
 * For a command with subcommands, the one its first argument names, as a command of its own (called
 * `tag add` in messages), and the arguments after the word. `--help` before the word asks for the
 * command's own help, and gives the command itself back. A command without subcommands is returned
 * as it is.
 */
export function selectSubcommand(
  command: AnyCommand,
  argv: readonly string[],
): { command: Command | GroupCommandDef; argv: readonly string[] } {
  if (!isGroup(command)) return { command, argv };
  const subs = command.subcommands;
  const [word, ...rest] = argv;
  if (word === '--help' || word === '-h') return { command, argv };
  const names = subs.map((s) => s.name);
  const list = `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
  if (word === undefined || word.startsWith('-')) {
    throw usageError(`\`${command.name}\` needs a subcommand first: ${list}. Usage: ${command.usage}.`);
  }
  const sub = subs.find((s) => s.name === word);
  if (!sub) throw usageError(`Unknown subcommand ${JSON.stringify(word)} for \`${command.name}\`. The subcommands are: ${names.join(', ')}.`);
  return { command: { ...sub, name: `${command.name} ${sub.name}` }, argv: rest };
}

/** The declaration of a command's option, if it has one by that name. */
function optionOf(options: OptionDefs, name: string) {
  return Object.hasOwn(options, name) ? options[name] : undefined;
}

/** Parses a command line against a command's options; the values are typed from their declarations. */
export function parseArgs<O extends OptionDefs>(command: CommandSpec<O>, argv: readonly string[]): ParsedArgs<O> {
  const options: Record<string, string | number | true | Array<string | number>> = {};
  const extra = new Map<string, Array<string | true>>();
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = optionOf(command.options, name);
    if (!spec && command.extraOptions) {
      // Without a value (the end, or another option next) it is a flag: `true`.
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--') ? argv[++i]! : true;
      extra.set(name, [...(extra.get(name) ?? []), value]);
      continue;
    }
    if (!spec) {
      throw usageError(`Unknown option --${name} for \`${command.name}\`. Run \`cairn ${command.name} --help\` to see its options.`);
    }
    if (spec.kind === 'flag') {
      if (eq >= 0) throw usageError(`Option --${name} takes no value; write --${name} alone.`);
      options[name] = true;
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw usageError(`Option --${name} needs a value (${spec.metavar ?? spec.kind}).`);
    let parsed: string | number = value;
    if (spec.kind === 'int') {
      if (!/^-?\d+$/.test(value)) throw usageError(`Option --${name} takes a whole number; got ${JSON.stringify(value)}.`);
      parsed = Number(value);
    }
    if (spec.repeat) options[name] = [...((options[name] as Array<string | number> | undefined) ?? []), parsed];
    else options[name] = parsed;
  }
  // fromEntries makes own properties, also for a name like __proto__.
  return { options: options as ParsedArgs<O>['options'], positionals, help, extra: Object.fromEntries(extra) };
}

/** The text of `cairn <command> --help`: usage, summary, options (or subcommands). */
export function formatHelp(command: CommandSpec | GroupCommandDef): string {
  const lines = [`Usage: ${command.usage}`, '', command.summary];
  const options = isGroup(command) ? [] : Object.entries(command.options);
  if (options.length) {
    lines.push('', 'Options:');
    for (const [name, o] of options) {
      const left = `  --${name}${o.kind === 'flag' ? '' : ` ${o.metavar ?? o.kind.toUpperCase()}`}`;
      lines.push(`${left.padEnd(28)} ${o.help}${o.repeat ? ' (repeatable)' : ''}`);
    }
  }
  if (isGroup(command)) {
    lines.push('', 'Subcommands:');
    for (const s of command.subcommands) lines.push(`  ${s.name.padEnd(10)} ${s.summary}`);
    lines.push('', `Run \`cairn ${command.name} <subcommand> --help\` for the options of a subcommand.`);
  }
  return lines.join('\n');
}
