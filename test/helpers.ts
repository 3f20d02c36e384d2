/**
 * End-to-end fixtures: a throwaway project folder where `cairnflow` resolves to this package, flow
 * files written into it, the real CLI run as a child process, and the client pointed at its store.
 */
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

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
