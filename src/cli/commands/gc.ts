import { defineCommand, type OptionDefs } from '../command.js';
import { usageError } from '../args.js';

const usage = 'cairn gc [--keep-last N] [--older-than 30d] [--keep-tag TAG] [--flow FLOW] [--grace 1h] [--dry-run]';

const options = {
  'keep-last': { kind: 'int', metavar: 'N', help: 'keep the N newest runs of each flow; delete the older ones' },
  'older-than': { kind: 'string', metavar: 'AGE', help: 'delete runs created longer ago than AGE (30d, 12h, 90m)' },
  'keep-tag': { kind: 'string', repeat: true, metavar: 'TAG', help: 'never delete runs with this tag (repeatable)' },
  flow: { kind: 'string', metavar: 'FLOW', help: "delete only this flow's runs (blobs are collected store-wide)" },
  grace: { kind: 'string', metavar: 'AGE', help: 'keep blobs written or reused within AGE (default 1h)' },
  'dry-run': { kind: 'flag', help: 'print what would be deleted and change nothing' },
} as const satisfies OptionDefs;

export default defineCommand({
  name: 'gc',
  flowless: true,
  summary: 'Delete runs by policy, then every blob no remaining run uses, and leftovers of crashed writes.',
  usage,
  options,
  async run(args) {
    const o = args.options;
    if (o['keep-last'] !== undefined && o['keep-last'] < 0) throw usageError(`--keep-last must be 0 or more; got ${o['keep-last']}. Nothing was deleted.`);
    const [{ gc }, { formatSize }] = await Promise.all([import('../../client/gc.js'), import('../inspect/values.js')]);
    const r = await gc({
      ...(o['keep-last'] !== undefined ? { keepLast: o['keep-last'] } : {}),
      ...(o['older-than'] !== undefined ? { olderThan: o['older-than'] } : {}),
      ...(o['keep-tag'] ? { keepTags: o['keep-tag'] } : {}),
      ...(o.flow !== undefined ? { flow: o.flow } : {}),
      ...(o.grace !== undefined ? { grace: o.grace } : {}),
      dryRun: o['dry-run'] === true,
    });
    const verb = r.dryRun ? 'Would delete' : 'Deleted';
    const out: string[] = [];
    for (const pathspec of r.runs.deleted) out.push(`${verb} run ${pathspec}`);
    const kept = Object.entries(KEPT).flatMap(([why, text]) => (r.runs.kept[why as keyof typeof r.runs.kept] ? [`${r.runs.kept[why as keyof typeof r.runs.kept]} ${text}`] : []));
    out.push(`${verb} ${r.runs.deleted.length} run(s)${r.dryRun ? '' : ` (${formatSize(r.runs.bytes)} of records, logs and cards)`}` +
      (kept.length ? `; kept ${kept.join(', ')}.` : '.'));
    out.push(`${verb} ${r.blobs.deleted} of ${r.blobs.total} blob(s), ${formatSize(r.blobs.bytes)}` +
      (r.blobs.recent ? `; ${r.blobs.recent} written or reused within the grace window were not considered.` : '.'));
    if (r.heldBy) out.push(`Blobs since ${new Date(r.cutoff).toISOString()} were kept: run ${r.heldBy} is still going.`);
    if (r.temporary.files) out.push(`${r.dryRun ? 'Would remove' : 'Removed'} ${r.temporary.files} leftover temporary file(s) or upload(s) of crashed writes.`);
    const total = r.runs.bytes + r.blobs.bytes + r.temporary.bytes;
    out.push(r.dryRun ? 'Dry run: nothing was changed.' : `Freed ${formatSize(total)}.`);
    process.stdout.write(`${out.join('\n')}\n`);
    return 0;
  },
});

const KEPT: Record<string, string> = {
  newest: 'among the newest (--keep-last)',
  recent: 'newer than --older-than',
  tagged: 'with a --keep-tag tag',
  going: 'still going',
  'other-flow': 'of other flows',
  'no-policy': '(no --keep-last or --older-than given)',
};
