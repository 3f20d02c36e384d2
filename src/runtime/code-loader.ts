/** Loads a run's code package on this machine: fetched from the store once, written locally, imported. */
import { join } from 'node:path';
import { CairnError } from '../errors.js';
import { codeFileName, codePackageIntact, materializeCodePackage } from '../core/code-package.js';
import { declaredFlows, FlowSpec } from '../authoring/flow-spec.js';
import type { ArtifactStore } from '../storage/types.js';
import type { CodeRef } from './protocol.js';

const modules = new Map<string, Promise<Record<string, unknown>>>();

async function importPackage(store: ArtifactStore, code: CodeRef, codeDir: string): Promise<Record<string, unknown>> {
  let text: string | undefined;
  if (!codePackageIntact(join(codeDir, codeFileName(code.sha)), code.sha)) text = Buffer.from(await store.getBlob(code.sha)).toString('utf8');
  const url = materializeCodePackage(() => text!, code.sha, codeDir);
  process.setSourceMapsEnabled(true);
  return (await import(url)) as Record<string, unknown>;
}

/** The flow class of a code package. */
export async function loadFlowClass(store: ArtifactStore, code: CodeRef, codeDir: string): Promise<typeof FlowSpec> {
  let mod = modules.get(code.sha);
  if (!mod) {
    mod = importPackage(store, code, codeDir);
    modules.set(code.sha, mod);
    mod.catch(() => modules.delete(code.sha));
  }
  const found = flowClassesIn(await mod).find((c) => c.name === code.className);
  if (!found) {
    throw new CairnError('INVALID_FLOW', `The code package of ${code.sourceFile} has no flow class ${code.className}.`);
  }
  return found;
}

/** The flow classes a module exports or declared with `main()`. */
export function flowClassesIn(exports: Record<string, unknown>): Array<typeof FlowSpec> {
  const found = new Set<typeof FlowSpec>();
  for (const c of [...Object.values(exports), ...declaredFlows.values()]) {
    if (typeof c === 'function' && c.prototype instanceof FlowSpec) found.add(c as typeof FlowSpec);
  }
  return [...found];
}
