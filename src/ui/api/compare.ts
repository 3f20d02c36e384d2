/** The compare page: `/api/flows/F/compare?a=R1&b=R2`, two runs side by side (diffRuns). */
import { DataArtifact, diffRuns, Run } from '../../client/index.js';
import { mapLimit } from '../../core/map-limit.js';
import { CairnError } from '../../errors.js';
import { isId } from '../paths.js';
import { runSummary } from './summaries.js';
import type { CompareResponse } from './task-types.js';

/** Changed artifacts stored in at most this many bytes on both sides are previewed side by side. */
export const SMALL_VALUE_BYTES = 16 * 1024;
/** The most changed artifacts previewed side by side in one answer. */
const MAX_SIDE_BY_SIDE = 200;
const LIMITS = { maxRows: 20, maxItems: 50, maxString: 1000, samplePoints: 120, maxImageBytes: 256 * 1024 };

/** The two run ids of a compare URL; INVALID_ARGUMENT saying what to give when one is missing or malformed. */
export function parseCompareQuery(q: URLSearchParams): { a: string; b: string } {
  const a = q.get('a')?.trim() ?? '';
  const b = q.get('b')?.trim() ?? '';
  for (const [name, v] of [['a', a], ['b', b]] as const) {
    if (!v) throw new CairnError('INVALID_ARGUMENT', `compare needs two runs: give ?a=RUN_ID&b=RUN_ID (${name} is missing).`);
    if (!isId(v)) throw new CairnError('INVALID_ARGUMENT', `${name} must be a run id; got ${JSON.stringify(v)}.`);
  }
  return { a, b };
}

export async function compareJson(flow: string, q: URLSearchParams): Promise<CompareResponse> {
  const ids = parseCompareQuery(q);
  const [a, b] = await Promise.all([Run.get(`${flow}/${ids.a}`), Run.get(`${flow}/${ids.b}`)]);
  const diff = await diffRuns(a, b);
  const small: Array<{ key: string; a: string; b: string }> = [];
  for (const s of diff.steps) {
    for (const t of s.tasks) {
      for (const art of t.artifacts) {
        if (art.status !== 'changed' || !art.a || !art.b || !t.task.a || !t.task.b) continue;
        if (art.a.size > SMALL_VALUE_BYTES || art.b.size > SMALL_VALUE_BYTES || small.length >= MAX_SIDE_BY_SIDE) continue;
        small.push({ key: `${s.step}/${t.place}/${art.name}`, a: `${t.task.a}/${art.name}`, b: `${t.task.b}/${art.name}` });
      }
    }
  }
  const values: CompareResponse['values'] = {};
  await mapLimit(small, 4, async (v) => {
    const [pa, pb] = await Promise.all([v.a, v.b].map(async (ps) => (await DataArtifact.get(ps)).preview(LIMITS)));
    values[v.key] = { a: pa!, b: pb! };
  });
  return { a: runSummary(a), b: runSummary(b), diff, values };
}
