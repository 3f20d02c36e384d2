/** Every CLI command, in the order `cairn --help` lists them. */
import type { AnyCommand } from './command.js';
import { command as run } from './commands/run.js';
import { command as resume } from './commands/resume.js';
import { check, show } from './commands/check.js';
import { command as logs } from './commands/logs.js';
import { command as dump } from './commands/dump.js';
import { command as tag } from './commands/tag.js';
import { command as worker } from './commands/worker.js';
import { command as diff } from './commands/diff.js';

export const commands: AnyCommand[] = [run, resume, show, check, logs, dump, tag, diff, worker];
