/**
 * Runs named on the command line by pathspec (`Flow/RUN_ID`), as `diff` and `delete` take them:
 * found in every namespace (an id names one run, whoever started it), with one clear message for
 * each way a run can be missing.
 */
import { isCairnError, NotFoundError } from '../../errors.js';
import { Flow, namespace, Run } from '../../client/index.js';
import { clientContext } from '../../client/context.js';
import { usageError } from '../args.js';

export interface RunArg {
  flow: string;
  runId: string;
}

const FLOW_NAME = /^[A-Za-z_$][\w$]*$/;

/** Reads `Flow/RUN_ID`; anything else is a usage error showing the form. */
export function parseRunArg(text: string): RunArg {
  const parts = text.split('/');
  if (parts.length === 2 && FLOW_NAME.test(parts[0]!) && parts[1]!.trim() !== '') return { flow: parts[0]!, runId: parts[1]! };
  if (parts.length === 1 && /^\d+$/.test(text)) {
    throw usageError(`'${text}' is a run id without its flow: name a run as FLOW/RUN_ID, for example MyFlow/${text}.`);
  }
  throw usageError(`'${text}' does not name a run: write FLOW/RUN_ID, for example MyFlow/1795746083754893.`);
}

function isNotFound(e: unknown): boolean {
  return isCairnError(e) && e.code === 'NOT_FOUND';
}

/** The run, whoever started it; the message says which runs the flow has, or that it has none. */
export async function findRunArg(arg: RunArg): Promise<Run> {
  await clientContext();
  namespace(null);
  try {
    return await Run.get(`${arg.flow}/${arg.runId}`);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  const flows = (await Flow.list()).map((f) => f.name);
  if (!flows.includes(arg.flow)) {
    const known = flows.length ? `its flows are ${flows.join(', ')}` : 'it has no runs yet';
    throw new NotFoundError(`The store has no flow ${arg.flow} (${known}).`);
  }
  const newest: string[] = [];
  for await (const run of (await Flow.get(arg.flow)).runs({ pageSize: 3 })) {
    newest.push(run.id);
    if (newest.length === 3) break;
  }
  throw new NotFoundError(`Run ${arg.flow}/${arg.runId} was not found. The newest runs of ${arg.flow} are ${newest.join(', ')}.`);
}
