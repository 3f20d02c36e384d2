/**
 * Checks of the flow decorators (`@project`, `@schedule`, `@trigger`, `@triggerOnFinish`) that
 * need more than their own options: the parameters a trigger sets must be the flow's, and the flows
 * `@triggerOnFinish` names must exist. Each message names the decorator.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FlowSpec } from '../authoring/flow-spec.js';
import { flowDecorationsOf } from '../authoring/flow-decorators.js';
import { branchChoiceFromEnv, noProjectChoice, projectBranch, type BranchChoice, type ProjectBranch } from '../core/project.js';
import { CairnError } from '../errors.js';
import { openMetadataStore, type StoreConfig } from '../storage/config.js';
import type { MetadataStore } from '../storage/types.js';
import { discoverParameters } from './parameters.js';

/** Problems of the flow decorators that the flow class alone shows, as lines. */
export function flowDecoratorProblems(flowClass: typeof FlowSpec): string[] {
  const d = flowDecorationsOf(flowClass);
  const problems = Object.values(d.problems ?? {});
  if (d.trigger) {
    let names: string[] | undefined;
    try {
      names = discoverParameters(flowClass).parameters.map((p) => p.name);
    } catch {
      names = undefined; // reported by parameterProblems
    }
    for (const p of Object.keys(d.trigger.parameters)) {
      if (names && !names.includes(p)) {
        problems.push(
          `@trigger on flow ${flowClass.name}: parameters names '${p}', which is not a parameter of ${flowClass.name} ` +
            `(${names.length ? `its parameters are: ${names.join(', ')}` : 'it has none'}). Map the event's fields to parameters the flow declares with Parameter().`,
        );
      }
    }
  }
  if (d.triggerOnFinish?.flows.includes(flowClass.name)) {
    problems.push(`@triggerOnFinish on flow ${flowClass.name}: it names the flow itself, which would start it again every time it finishes. Name the upstream flow.`);
  }
  return problems;
}

const CLASS = /\bclass\s+([A-Za-z_$][\w$]*)\s+extends\s+[\w$.]+/g;

/** Flow classes declared in the `.ts`/`.js` files of a folder (a quick look at the text, not a parse). */
function flowsInFolder(folder: string): Set<string> {
  const found = new Set<string>();
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return found;
  }
  for (const name of names) {
    if (!/\.[cm]?[jt]sx?$/.test(name) || name.endsWith('.d.ts')) continue;
    let text: string;
    try {
      text = readFileSync(join(folder, name), 'utf8');
    } catch {
      continue;
    }
    for (const m of text.matchAll(CLASS)) found.add(m[1]!);
  }
  return found;
}

/**
 * `@triggerOnFinish` flows that are unknown: neither declared in a file of the flow's folder nor
 * recorded in the metadata store. Returns the problems, as lines.
 */
export async function unknownFlowProblems(flowClass: typeof FlowSpec, flowFile: string, config: StoreConfig): Promise<string[]> {
  const flows = flowDecorationsOf(flowClass).triggerOnFinish?.flows ?? [];
  if (flows.length === 0) return [];
  const known = flowsInFolder(dirname(flowFile));
  if (flows.every((f) => known.has(f))) return [];
  let metadata: MetadataStore | undefined;
  try {
    metadata = await openMetadataStore(config, { create: false });
  } catch (e) {
    if (!(e instanceof CairnError && e.code === 'NOT_FOUND')) throw e;
  }
  let recorded: Set<string>;
  try {
    recorded = new Set(metadata ? await metadata.listFlows() : []);
  } finally {
    await metadata?.close();
  }
  return flows
    .filter((f) => !known.has(f) && !recorded.has(f))
    .map(
      (f) =>
        `@triggerOnFinish on flow ${flowClass.name}: flow '${f}' is unknown: no file in ${dirname(flowFile)} declares it and ${metadata ? `the metadata store (${metadata.location}) has no run of it` : 'there is no metadata store to look in'}. ` +
        "Check the name (it is the flow's class name), or put the flow's file beside this one.",
    );
}

/** The `@project` branch of a run of the flow, or undefined for a flow without `@project`. */
export function projectOf(flowClass: typeof FlowSpec, user: string, given: BranchChoice, env: NodeJS.ProcessEnv): ProjectBranch | undefined {
  const name = flowDecorationsOf(flowClass).project?.name;
  if (name === undefined) {
    noProjectChoice(flowClass.name, given);
    return undefined;
  }
  const fromEnv = branchChoiceFromEnv(env);
  const choice: BranchChoice = {
    ...fromEnv,
    ...(given.branch !== undefined ? { branch: given.branch } : {}),
    ...(given.production !== undefined ? { production: given.production } : {}),
  };
  return projectBranch(name, flowClass.name, user, choice);
}
