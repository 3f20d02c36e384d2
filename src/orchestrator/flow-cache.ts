/**
 * Remembers what loading a flow file produced (its code package's address, graph and lint issues)
 * keyed by the size and modification time of every source file it was compiled from, so that an
 * unchanged flow starts without compiling or parsing anything.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { FlowGraph, LintIssue, StepNode } from '../graph/types.js';
import { VERSION } from '../version.js';

interface Stamp {
  path: string;
  size: number;
  mtimeMs: number;
}

export interface CachedFlow {
  className: string;
  codeSha: string;
  graph: FlowGraph;
  issues: LintIssue[];
}

interface Entry {
  version: string;
  className: string;
  codeSha: string;
  inputs: Stamp[];
  graph: Omit<FlowGraph, 'steps'> & { steps: StepNode[] };
  issues: LintIssue[];
}

function entryPath(cacheDir: string, file: string): string {
  return join(cacheDir, `${createHash('sha1').update(file).digest('hex')}.json`);
}

function stamp(path: string): Stamp | undefined {
  const st = statSync(path, { throwIfNoEntry: false });
  return st ? { path, size: st.size, mtimeMs: st.mtimeMs } : undefined;
}

export function readFlowCache(cacheDir: string, file: string): CachedFlow | undefined {
  let entry: Entry;
  try {
    entry = JSON.parse(readFileSync(entryPath(cacheDir, file), 'utf8')) as Entry;
  } catch {
    return undefined;
  }
  if (entry.version !== VERSION) return undefined;
  for (const input of entry.inputs) {
    const now = stamp(input.path);
    if (!now || now.size !== input.size || now.mtimeMs !== input.mtimeMs) return undefined;
  }
  const graph: FlowGraph = { ...entry.graph, steps: new Map(entry.graph.steps.map((s) => [s.name, s])) };
  return { className: entry.className, codeSha: entry.codeSha, graph, issues: entry.issues };
}

/** Stamps are taken before compiling, so a file edited meanwhile is seen as changed next time. */
export function stampInputs(paths: string[]): Stamp[] | undefined {
  const stamps = paths.map(stamp);
  return stamps.every((s): s is Stamp => s !== undefined) ? stamps : undefined;
}

export function writeFlowCache(cacheDir: string, file: string, inputs: Stamp[], flow: CachedFlow): void {
  const entry: Entry = {
    version: VERSION,
    className: flow.className,
    codeSha: flow.codeSha,
    inputs,
    graph: { ...flow.graph, steps: [...flow.graph.steps.values()] },
    issues: flow.issues,
  };
  try {
    mkdirSync(cacheDir, { recursive: true });
    const path = entryPath(cacheDir, file);
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(entry));
    renameSync(tmp, path);
  } catch {
    // A cache that cannot be written only costs time on the next start.
  }
}
