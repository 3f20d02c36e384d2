import type { FlowSpec } from '../authoring/flow-spec.js';
import type { CommandSpec, ParsedArgs } from './args.js';

/** The flow a command works on: its file, and its class when the file is the program. */
export interface FlowArg {
  file: string;
  flowClass?: typeof FlowSpec;
}

/**
 * One CLI command: its declaration (for parsing and `--help`) and what it does. `run` should import
 * what it needs lazily, so that `cairn --help` and other commands start fast.
 */
export interface Command extends CommandSpec {
  flowless?: false;
  run(args: ParsedArgs, flow: FlowArg): Promise<number>;
  /** What `--help` adds when a flow file is given (`cairn run flow.ts --help`: its parameters). */
  helpFor?(flow: FlowArg): Promise<string>;
}

/** A command that works without a flow file (`cairn worker`). */
export interface FlowlessCommand extends CommandSpec {
  flowless: true;
  run(args: ParsedArgs): Promise<number>;
}

export type AnyCommand = Command | FlowlessCommand;
