/**
 * The command line: `cairn <command> <flow.ts> [options]`, or `npx tsx flow.ts <command> [options]`
 * when the flow file calls `MyFlow.main(import.meta)`. A thin layer over exported functions.
 */
import { isCairnError } from '../errors.js';
import type { FlowSpec } from '../authoring/flow-spec.js';
import { formatHelp, parseArgs, selectSubcommand, usageError } from './args.js';
import { isGroup } from './command.js';
import { commandNames, loadCommand, loadCommands } from './registry.js';
import { VERSION } from '../version.js';

export interface CliContext {
  /** Set when the flow file is the program being run. */
  flowFile?: string;
  flowClass?: typeof FlowSpec;
}

/** Ends a usage line as a sentence (a usage that ends in `...` already does). */
function sentence(usage: string): string {
  return usage.endsWith('.') ? usage : `${usage}.`;
}

async function topHelp(): Promise<string> {
  const commands = await loadCommands();
  return [
    `cairn ${VERSION}: flows of steps whose state becomes versioned artifacts.`,
    '',
    'Usage: cairn <command> <flow.ts> [options]    or    npx tsx flow.ts <command> [options]',
    '       cairn worker [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(8)} ${c.summary}`),
    '',
    'Run `cairn <command> --help` for the options of a command.',
  ].join('\n');
}

async function dispatch(argv: string[], ctx: CliContext): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(await topHelp());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === 'version') {
    console.log(VERSION);
    return 0;
  }
  const found = await loadCommand(name);
  if (!found) throw usageError(`Unknown command ${JSON.stringify(name)}. The commands are: ${commandNames.join(', ')}.`);
  const { command, argv: own } = selectSubcommand(found, rest);
  if (isGroup(command)) {
    // Only `--help` before the subcommand's word gets here.
    console.log(formatHelp(command));
    return 0;
  }
  const args = parseArgs(command, own);
  if (command.flowless) {
    if (args.help) console.log(formatHelp(command));
    else if (args.positionals.length > (command.positionals ?? 0)) {
      throw usageError(`Unexpected argument ${JSON.stringify(args.positionals[command.positionals ?? 0])} for \`${command.name}\`. Usage: ${sentence(command.usage)}`);
    }
    return args.help ? 0 : command.run(args);
  }
  if (args.help) {
    const flowFile = ctx.flowFile ?? args.positionals[0];
    const flow = flowFile && command.helpFor ? await command.helpFor({ file: flowFile, ...(ctx.flowClass ? { flowClass: ctx.flowClass } : {}) }) : '';
    console.log(flow ? `${formatHelp(command)}\n\n${flow}` : formatHelp(command));
    return 0;
  }
  let file = ctx.flowFile;
  if (!file) {
    file = args.positionals.shift();
    if (!file) throw usageError(`Which flow? Give the flow file: ${sentence(command.usage)}`);
  }
  if (args.positionals.length > (command.positionals ?? 0)) {
    throw usageError(`Unexpected argument ${JSON.stringify(args.positionals.at(-1))} for \`${command.name}\`. Usage: ${sentence(command.usage)}`);
  }
  return command.run(args, { file, ...(ctx.flowClass ? { flowClass: ctx.flowClass } : {}) });
}

/**
 * A reader that goes away (`cairn run flow.ts | head`) must not kill the command: a run goes on and
 * is recorded; only its console output is lost.
 */
function tolerateClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
    });
  }
}

/** Runs the CLI and exits the process with its status. */
export async function main(argv: string[], ctx: CliContext = {}): Promise<void> {
  tolerateClosedOutput();
  let code: number;
  try {
    code = await dispatch(argv, ctx);
  } catch (e) {
    if (isCairnError(e)) {
      process.stderr.write(`error: ${e.message}\n`);
      code = e.code === 'INVALID_ARGUMENT' ? 2 : 1;
    } else {
      process.stderr.write(`internal error: ${(e as Error)?.stack ?? String(e)}\n`);
      code = 1;
    }
  }
  process.exitCode = code;
}
