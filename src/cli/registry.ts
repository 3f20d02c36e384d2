/** Every CLI command, in the order `cairn --help` lists them. */
import type { Command } from './command.js';
import { command as run } from './commands/run.js';
import { check, show } from './commands/check.js';

export const commands: Command[] = [run, show, check];
