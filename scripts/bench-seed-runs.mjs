// Records N more runs of a flow, copying the newest run's tasks and records through the storage
// interfaces (what a real run writes), so the client can be measured against a store with many runs.
// Usage: node bench-seed-runs.mjs <store root> <Flow> <N>
import { storeConfigAt, openArtifactStore, openMetadataStore } from 'cairnflow/storage';

const [root, flow, countArg] = process.argv.slice(2);
const cfg = storeConfigAt(root);
const artifacts = await openArtifactStore(cfg);
const metadata = await openMetadataStore(cfg, { create: true });
const [template] = await metadata.listRuns({ flow, limit: 1 });
const tasks = await metadata.listTasks(flow, template.runId);
const base = Number(template.runId);
for (let i = 1; i <= Number(countArg); i++) {
  const runId = String(base - i * 1000);
  await metadata.createRun({ ...template, runId, createdAt: template.createdAt - i * 1000 });
  for (const t of tasks) {
    const key = { flow, runId, step: t.step, taskId: t.taskId };
    const record = await artifacts.getTaskRecord(t, t.doneAttempt ?? 0);
    if (record) await artifacts.putTaskRecord(key, 0, record);
    await metadata.createTask({ ...key, createdAt: t.createdAt, foreachStack: t.foreachStack, parents: t.parents });
    await metadata.startAttempt(key, 0, t.createdAt, null);
    await metadata.finishAttempt(key, 0, { status: 'succeeded', finishedAt: t.createdAt });
    await metadata.finishTask(key, 'succeeded', t.createdAt, 0);
  }
  await metadata.finishRun(flow, runId, 'succeeded', template.createdAt - i * 1000 + 10);
}
await metadata.close();
