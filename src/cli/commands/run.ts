import { executeRun } from '../../orchestrator/run.js';
import type { FlowSpec } from '../../authoring/flow-spec.js';
import type { ParsedArgs } from '../args.js';

export async function runCommand(args: ParsedArgs, flow: { file: string; flowClass?: typeof FlowSpec }): Promise<number> {
  const o = args.options;
  const result = await executeRun({
    flowFile: flow.file,
    ...(flow.flowClass ? { flowClass: flow.flowClass } : {}),
    ...(o['tag'] ? { tags: o['tag'] as string[] } : {}),
    ...(o['max-workers'] !== undefined ? { maxWorkers: o['max-workers'] as number } : {}),
    ...(o['max-num-splits'] !== undefined ? { maxNumSplits: o['max-num-splits'] as number } : {}),
    ...(o['run-id-file'] ? { runIdFile: o['run-id-file'] as string } : {}),
  });
  return result.status === 'succeeded' ? 0 : 1;
}
