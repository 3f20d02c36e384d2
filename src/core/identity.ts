import { userInfo } from 'node:os';

/** The user runs are attributed to: `CAIRN_USER`, else the OS user. */
export function currentUser(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.CAIRN_USER?.trim();
  if (fromEnv) return fromEnv;
  try {
    return userInfo().username || env.USER || 'unknown';
  } catch {
    return env.USER || env.USERNAME || 'unknown';
  }
}

export function defaultNamespaceFor(user: string): string {
  return `user:${user}`;
}
