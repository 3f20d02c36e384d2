/**
 * Every CLI command, in the order `cairn --help` lists them. A command module is imported only when
 * its command runs (or when `cairn --help` lists the summaries), so adding a command costs the others
 * nothing. Each module's default export is its `defineCommand(...)`; its name must be the key here.
 */
import type { AnyCommand } from './command.js';

type Load = () => Promise<{ default: AnyCommand }>;

export const commands: ReadonlyArray<readonly [name: string, load: Load]> = [
  ['run', () => import('./commands/run.js')],
  ['resume', () => import('./commands/resume.js')],
  ['show', () => import('./commands/show.js')],
  ['check', () => import('./commands/check.js')],
  ['logs', () => import('./commands/logs.js')],
  ['dump', () => import('./commands/dump.js')],
  ['tag', () => import('./commands/tag.js')],
  ['diff', () => import('./commands/diff.js')],
  ['card', () => import('./commands/card.js')],
  ['delete', () => import('./commands/delete.js')],
  ['gc', () => import('./commands/gc.js')],
  ['ui', () => import('./commands/ui.js')],
  ['worker', () => import('./commands/worker.js')],
  ['init-run', () => import('./commands/init-run.js')],
  ['step', () => import('./commands/step.js')],
  ['argo-workflows', () => import('./commands/argo-workflows.js')],
];

/** The names of the commands, in order. */
export const commandNames = commands.map(([name]) => name);

/** Loads the command called `name`, or undefined when there is none. */
export async function loadCommand(name: string): Promise<AnyCommand | undefined> {
  const entry = commands.find(([n]) => n === name);
  return entry ? (await entry[1]()).default : undefined;
}

/** Loads every command (for the summaries of `cairn --help`). */
export async function loadCommands(): Promise<AnyCommand[]> {
  return Promise.all(commands.map(async ([, load]) => (await load()).default));
}
