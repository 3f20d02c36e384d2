/**
 * A small declarative argument parser: each command lists its options; anything else is an error
 * that names the option and points to `--help`.
 */
import { CairnError } from '../errors.js';

export interface OptionSpec {
  name: string;
  /** `string` and `int` take a value; `flag` does not. */
  kind: 'string' | 'int' | 'flag';
  repeat?: boolean;
  help: string;
  metavar?: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  options: OptionSpec[];
  /** How many positional arguments follow the flow file (max). */
  positionals?: number;
  /**
   * Options not in `options` are collected in `extra` (name → values given) instead of failing,
   * for the command to check once it knows more (a flow's parameters).
   */
  extraOptions?: boolean;
  /** Words that choose what the command does (`tag add`), each with its own options and usage. */
  subcommands?: SubcommandSpec[];
}

/** One subcommand: `name` is its word; `usage` shows the whole command line. */
export type SubcommandSpec = Omit<CommandSpec, 'subcommands'>;

export interface ParsedArgs {
  options: Record<string, string | number | boolean | string[] | undefined>;
  positionals: string[];
  help: boolean;
  /** Options the command does not declare, when it accepts them (`extraOptions`). */
  extra: Record<string, string[]>;
  /** The subcommand chosen, for a command that has subcommands. */
  subcommand?: string;
}

export function usageError(message: string): CairnError {
  return new CairnError('INVALID_ARGUMENT', message);
}

/**
 * For a command with subcommands, the one its first argument names, as a spec of its own (called
 * `tag add` in messages), and the arguments after the word. `--help` before the word asks for the
 * command's own help. A command without subcommands is returned as it is.
 */
export function selectSubcommand(
  command: CommandSpec,
  argv: readonly string[],
): { spec: CommandSpec; subcommand?: string; argv: readonly string[] } {
  const subs = command.subcommands;
  if (!subs?.length) return { spec: command, argv };
  const [word, ...rest] = argv;
  if (word === '--help' || word === '-h') return { spec: command, argv };
  const names = subs.map((s) => s.name);
  const list = `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
  if (word === undefined || word.startsWith('-')) {
    throw usageError(`\`${command.name}\` needs a subcommand first: ${list}. Usage: ${command.usage}.`);
  }
  const sub = subs.find((s) => s.name === word);
  if (!sub) throw usageError(`Unknown subcommand ${JSON.stringify(word)} for \`${command.name}\`. The subcommands are: ${names.join(', ')}.`);
  return { spec: { ...sub, name: `${command.name} ${sub.name}` }, subcommand: sub.name, argv: rest };
}

export function parseArgs(command: CommandSpec, argv: readonly string[]): ParsedArgs {
  const options: ParsedArgs['options'] = {};
  const extra: ParsedArgs['extra'] = {};
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
    const spec = command.options.find((o) => o.name === name);
    if (!spec && command.extraOptions) {
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--') ? argv[++i]! : undefined;
      if (value === undefined) throw usageError(`Option --${name} needs a value.`);
      (extra[name] ??= []).push(value);
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
      parsed = Number(value);
      if (!/^-?\d+$/.test(value)) throw usageError(`Option --${name} takes a whole number; got ${JSON.stringify(value)}.`);
    }
    if (spec.repeat) options[name] = [...((options[name] as string[] | undefined) ?? []), String(parsed)];
    else options[name] = parsed;
  }
  return { options, positionals, help, extra };
}

export function formatHelp(command: CommandSpec): string {
  const lines = [`Usage: ${command.usage}`, '', command.summary];
  if (command.options.length) {
    lines.push('', 'Options:');
    for (const o of command.options) {
      const left = `  --${o.name}${o.kind === 'flag' ? '' : ` ${o.metavar ?? o.kind.toUpperCase()}`}`;
      lines.push(`${left.padEnd(28)} ${o.help}${o.repeat ? ' (repeatable)' : ''}`);
    }
  }
  if (command.subcommands?.length) {
    lines.push('', 'Subcommands:');
    for (const s of command.subcommands) lines.push(`  ${s.name.padEnd(10)} ${s.summary}`);
    lines.push('', `Run \`cairn ${command.name} <subcommand> --help\` for the options of a subcommand.`);
  }
  return lines.join('\n');
}
