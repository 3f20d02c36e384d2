/**
 * How a CLI command is declared: `defineCommand({ name, summary, usage, options, run })`. The option
 * table is the single declaration of an option: the parser reads it, `--help` prints it, and the
 * type of `args.options` in `run` is inferred from it (an `int` option is a `number`, a repeatable
 * one a list, a flag `true`), so no command casts what it reads.
 *
 * Command modules are loaded lazily by the registry (`registry.ts`); a command module should import
 * at its top only what its declaration needs, and load what `run` uses inside `run`.
 */
import type { FlowSpec } from '../authoring/flow-spec.js';

/** One option: `--name VALUE` (`string`, `int`) or `--name` (`flag`). */
export interface OptionDef {
  /** `string` and `int` take a value; `flag` does not. */
  kind: 'string' | 'int' | 'flag';
  /** Given several times, the values are collected into a list, in order. */
  repeat?: boolean;
  help: string;
  /** The value's name in `--help` (`--max-workers N`). */
  metavar?: string;
}

/** A command's options, by name (without the leading `--`), in the order `--help` lists them. */
export type OptionDefs = Readonly<Record<string, OptionDef>>;

/** The value an option has once parsed. */
export type OptionValue<D extends OptionDef> = D['kind'] extends 'flag'
  ? true
  : D extends { repeat: true }
    ? Array<D['kind'] extends 'int' ? number : string>
    : D['kind'] extends 'int'
      ? number
      : string;

/** The parsed options of a command: each is undefined when it was not given. */
export type OptionValues<O extends OptionDefs> = { -readonly [K in keyof O]?: OptionValue<O[K]> };

/** What the parser makes of a command line. */
export interface ParsedArgs<O extends OptionDefs = OptionDefs> {
  options: OptionValues<O>;
  positionals: string[];
  help: boolean;
  /**
   * Options the command does not declare, when it accepts them (`extraOptions`): the values given,
   * `true` for one given without a value (`--verbose`, a flag).
   */
  extra: Record<string, Array<string | true>>;
}

/** What the parser and `--help` need to know about a command (or a subcommand). */
export interface CommandSpec<O extends OptionDefs = OptionDefs> {
  name: string;
  summary: string;
  usage: string;
  options: O;
  /** How many positional arguments follow the flow file (max). */
  positionals?: number;
  /**
   * Options not in `options` are collected in `extra` (name → values given) instead of failing,
   * for the command to check once it knows more (a flow's parameters).
   */
  extraOptions?: boolean;
}

/** The flow a command works on: its file, and its class when the file is the program. */
export interface FlowArg {
  file: string;
  flowClass?: typeof FlowSpec;
}

/** A command that works on a flow file: `cairn run <flow.ts> ...`. */
export interface FlowCommandDef<O extends OptionDefs> extends CommandSpec<O> {
  flowless?: false;
  run(args: ParsedArgs<O>, flow: FlowArg): Promise<number>;
  /** What `--help` adds when a flow file is given (`cairn run flow.ts --help`: its parameters). */
  helpFor?(flow: FlowArg): Promise<string>;
}

/** A command that works without a flow file (`cairn worker`). */
export interface FlowlessCommandDef<O extends OptionDefs> extends CommandSpec<O> {
  flowless: true;
  run(args: ParsedArgs<O>): Promise<number>;
}

/**
 * A command whose first argument is a word choosing what it does (`cairn tag add`); each
 * subcommand has its own options, usage and `run`. `--help` before the word is the command's own.
 */
export interface GroupCommandDef extends Omit<CommandSpec, 'options' | 'positionals' | 'extraOptions'> {
  subcommands: ReadonlyArray<Command>;
}

/** A declared command, its option types erased: what the registry and the dispatcher handle. */
export type Command = FlowCommandDef<OptionDefs> | FlowlessCommandDef<OptionDefs>;
export type AnyCommand = Command | GroupCommandDef;

/**
 * Declares a command; `args.options` in `run` is typed from `options`:
 *
 * ```ts
 * export default defineCommand({
 *   name: 'logs', summary: '...', usage: 'cairn logs <flow.ts> RUN/STEP[/TASK] [options]',
 *   options: { attempt: { kind: 'int', metavar: 'N', help: 'show attempt N' } },
 *   async run(args, flow) { const n = args.options.attempt; // number | undefined
 *     return 0; },
 * });
 * ```
 */
export function defineCommand<const O extends OptionDefs>(def: FlowCommandDef<O>): Command;
export function defineCommand<const O extends OptionDefs>(def: FlowlessCommandDef<O>): Command;
export function defineCommand(def: GroupCommandDef): GroupCommandDef;
export function defineCommand(def: AnyCommand): AnyCommand {
  return def;
}

/** Whether a command has subcommands. */
export function isGroup(command: CommandSpec | GroupCommandDef): command is GroupCommandDef {
  return 'subcommands' in command;
}
