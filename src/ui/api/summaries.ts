/** Client objects as the API's JSON. */
import type { Run } from '../../client/index.js';
import type { RunSummary } from './types.js';

export function runSummary(run: Run): RunSummary {
  return {
    flow: run.flowName,
    id: run.id,
    pathspec: run.pathspec,
    user: run.user,
    status: run.status,
    lost: run.lost,
    createdAt: run.createdAt.getTime(),
    finishedAt: run.finishedAt?.getTime() ?? null,
    tags: [...run.tags],
    userTags: [...run.userTags],
    systemTags: [...run.systemTags],
    parameters: { ...run.parameters },
    originRunId: run.originRunId ?? null,
  };
}
