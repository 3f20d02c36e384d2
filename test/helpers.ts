/**
 * End-to-end fixtures: a throwaway project folder where `cairnflow` resolves to this package, flow
 * files written into it, the real CLI run as a child process, and the client pointed at its store.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { namespace, useDatastore } from '../src/index.js';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));
export const bin = join(repoRoot, 'dist', 'cli', 'bin.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class Project {
  readonly dir: string;
  readonly store: string;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'cairn-e2e-'));
    this.store = join(this.dir, '.cairn');
    mkdirSync(join(this.dir, 'node_modules'));
    symlinkSync(repoRoot, join(this.dir, 'node_modules', 'cairnflow'), 'dir');
  }

  write(name: string, source: string): string {
    const file = join(this.dir, name);
    writeFileSync(file, source);
    return file;
  }

  /** Runs `node dist/cli/bin.js ...args` in the project folder. */
  cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
    return this.exec(process.execPath, [bin, ...args], env);
  }

  /** Starts `node dist/cli/bin.js ...args` in the background (for runs a test stops or kills). */
  start(args: string[], env: Record<string, string> = {}): Background {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: this.dir,
      env: { ...process.env, CAIRN_USER: 'tester', CAIRN_DATASTORE_ROOT: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new Background(child);
  }

  exec(command: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, {
        cwd: this.dir,
        env: { ...process.env, CAIRN_USER: 'tester', CAIRN_DATASTORE_ROOT: '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  [Symbol.dispose](): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A CLI process running in the background: its output so far, and when it ended. */
export class Background {
  stdout = '';
  stderr = '';
  readonly exited: Promise<CliResult>;

  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (d) => (this.stdout += d));
    child.stderr!.on('data', (d) => (this.stderr += d));
    this.exited = new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code: code ?? (signal ? -1 : null), stdout: this.stdout, stderr: this.stderr }));
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves with the match once stdout or stderr matches `pattern`; rejects if the process ends first. */
  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    let ended = false;
    void this.exited.then(() => (ended = true));
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
      const m = pattern.exec(this.stdout) ?? pattern.exec(this.stderr);
      if (m) return m;
      if (ended) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`${pattern} did not appear${ended ? ' before the process ended' : ''}.\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
  }
}

/** Whether process `pid` exists (a zombie counts as gone). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
  } catch {
    return false;
  }
}

/** Polls `check` every 50 ms until it returns something other than undefined/false; rejects after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000): Promise<T> {
  let last: unknown;
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/**
 * A Project for a whole test file: the client reads its store, in namespace `ns` (null: every
 * namespace) from the first test on, and the folder is removed after the last.
 */
export function sharedProject(ns: string | null = 'user:tester'): Project {
  const project = new Project();
  before(() => {
    useDatastore(project.store);
    namespace(ns);
  });
  after(() => project[Symbol.dispose]());
  return project;
}
