/** The flow's parameters, for `cairn run <flow.ts> --help`. */
import { describeParameters, discoverParameters, envVarName } from '../../orchestrator/parameters.js';
import type { FlowArg } from '../command.js';
import { loadFlowArg } from '../load-flow.js';

/** `Parameters of TrainFlow ...:` and one line per parameter (or a line saying there are none). */
export async function flowParametersHelp(flow: FlowArg): Promise<string> {
  const loaded = await loadFlowArg(flow);
  const { flow: name, parameters } = discoverParameters(loaded.flowClass);
  if (parameters.length === 0) return `${name} has no parameters.`;
  return [
    `Parameters of ${name} (each can also be set in the environment as CAIRN_RUN_<NAME>, e.g. ${envVarName(parameters[0]!.name)}):`,
    ...describeParameters(parameters).map((line) => `  ${line}`),
  ].join('\n');
}
