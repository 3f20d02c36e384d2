/**
 * `@project` namespaces, as Metaflow's: a project flow runs on a branch, `user.<user>` by default,
 * `test.<name>` with `--branch NAME`, `prod` with `--production` (`prod.<name>` with both). Runs carry
 * the system tags `project:<name>` and `project_branch:<branch>`; a deployment's runs also carry
 * `production:<project>.<branch>`, the namespace its tasks read other runs in, so a production
 * deployment never reads a user branch's artifacts unless it asks to.
 */
import { CairnError } from '../errors.js';

export interface ProjectBranch {
  project: string;
  branch: string;
  /** `<project>.<branch>.<Flow>`: the deployment's name. */
  projectFlowName: string;
  isProduction: boolean;
  isUserBranch: boolean;
  /** `project:`, `project_branch:` (and, for a deployment, `production:`). */
  systemTags: string[];
  /** The namespace a deployment's tasks read in: `production:<project>.<branch>`. */
  deploymentNamespace: string;
}

export interface BranchChoice {
  /** `--branch NAME` (or `CAIRN_BRANCH`). */
  branch?: string | undefined;
  /** `--production` (or `CAIRN_PRODUCTION=1`). */
  production?: boolean | undefined;
}

const BRANCH = /^[a-z0-9_][a-z0-9_-]{0,62}$/;

/** A user name as a branch name: lowercase, with anything but letters, digits, `_` and `-` as `_`. */
function userPart(user: string): string {
  return user.toLowerCase().replace(/[^a-z0-9_-]/g, '_') || 'unknown';
}

/** The choice of branch from the environment: `CAIRN_BRANCH`, `CAIRN_PRODUCTION` (1, true, yes). */
export function branchChoiceFromEnv(env: NodeJS.ProcessEnv): BranchChoice {
  const p = (env['CAIRN_PRODUCTION'] ?? '').toLowerCase();
  return {
    ...(env['CAIRN_BRANCH'] ? { branch: env['CAIRN_BRANCH'] } : {}),
    ...(['1', 'true', 'yes'].includes(p) ? { production: true } : {}),
  };
}

/** The branch a run of flow `flow` in project `project` is on. Throws for a branch name that cannot work. */
export function projectBranch(project: string, flow: string, user: string, choice: BranchChoice = {}): ProjectBranch {
  if (choice.branch !== undefined && !BRANCH.test(choice.branch)) {
    throw new CairnError(
      'INVALID_ARGUMENT',
      `--branch ${JSON.stringify(choice.branch)} is not a branch name: use lowercase letters, digits, '_' and '-' (at most 63), like --branch new_model.`,
    );
  }
  const branch = choice.production
    ? choice.branch !== undefined ? `prod.${choice.branch}` : 'prod'
    : choice.branch !== undefined ? `test.${choice.branch}` : `user.${userPart(user)}`;
  const projectFlowName = `${project}.${branch}.${flow}`;
  return {
    project,
    branch,
    projectFlowName,
    isProduction: choice.production === true,
    isUserBranch: !choice.production && choice.branch === undefined,
    systemTags: [`project:${project}`, `project_branch:${branch}`],
    deploymentNamespace: `production:${project}.${branch}`,
  };
}

/** `--branch` or `--production` given to a flow without `@project`: refused, as they would do nothing. */
export function noProjectChoice(flow: string, choice: BranchChoice): void {
  if (choice.branch !== undefined || choice.production) {
    throw new CairnError(
      'INVALID_ARGUMENT',
      `${choice.production ? '--production' : '--branch'} needs a flow with @project; ${flow} has none. Add @project({ name: '...' }) to the flow class, or drop the option.`,
    );
  }
}
