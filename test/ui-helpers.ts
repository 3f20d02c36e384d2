/** The web UI under test: `cairn ui --port 0` started in a project, and its address. */
import type { Background, Project } from './helpers.js';

export interface RunningUi {
  proc: Background;
  /** `http://127.0.0.1:PORT` (no trailing slash) */
  origin: string;
  stop(): Promise<void>;
}

export async function startUi(project: Project, env: Record<string, string> = {}, args: string[] = []): Promise<RunningUi> {
  const proc = project.start(['ui', '--port', '0', ...args], env);
  const [, url] = await proc.waitFor(/cairn ui: (http:\/\/\S+?)\/ /);
  return {
    proc,
    origin: url!,
    async stop() {
      proc.child.kill('SIGTERM');
      await proc.exited;
    },
  };
}

/** A GET with headers, answered as text (no redirects followed). */
export async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(url, { headers, redirect: 'manual' });
  return { status: res.status, headers: res.headers, text: await res.text() };
}
