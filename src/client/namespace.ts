/**
 * The client's namespace: a tag every object read must carry on its run. The default is
 * `user:<current user>`; `namespace(null)` sees every run.
 */
import { CairnError } from '../errors.js';
import { currentUser, defaultNamespaceFor } from '../core/identity.js';

/** `undefined` until first used or set: the default is computed lazily. */
let current: string | null | undefined;

/**
 * The namespace the client uses when none was set: `CAIRN_NAMESPACE` when set (a deployment's tasks
 * of a `@project` flow get `production:<project>.<branch>`), else `user:<CAIRN_USER or OS user>`.
 */
function computeDefault(): string {
  return process.env['CAIRN_NAMESPACE']?.trim() || defaultNamespaceFor(currentUser());
}

/**
 * Switches the namespace for every later read: a tag such as `user:alice` or `project:x`, or
 * `null` for the global namespace (every run). Returns the namespace now in use.
 */
export function namespace(ns: string | null): string | null {
  if (ns !== null && (typeof ns !== 'string' || ns.trim() === '')) {
    throw new CairnError(
      'INVALID_ARGUMENT',
      `namespace() takes a tag such as 'user:alice', or null for every namespace; got ${JSON.stringify(ns) ?? String(ns)}.`,
    );
  }
  current = ns;
  return current;
}

/** The namespace in use: a tag, or `null` for the global namespace. */
export function getNamespace(): string | null {
  if (current === undefined) current = computeDefault();
  return current;
}

/** Resets the namespace to the default (`user:<current user>`) and returns it. */
export function defaultNamespace(): string {
  const ns = computeDefault();
  current = ns;
  return ns;
}

/**
 * The message for an object outside namespace `ns`; `problem` says what is wrong ("Run 'F/1' is not
 * in the current namespace 'user:alice'").
 */
export function mismatchMessage(problem: string, runUser?: string): string {
  const other = runUser ? `namespace('user:${runUser}')` : `namespace('<tag>')`;
  return `${problem}. Call namespace(null) to see objects of every namespace, or switch with ${other}.`;
}
