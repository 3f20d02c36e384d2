// Writes test/schemas/argo-workflows.schema.json: the definitions of Argo Workflows' own JSON
// schema (api/jsonschema/schema.json of github.com/argoproj/argo-workflows) that a Workflow, a
// WorkflowTemplate and a CronWorkflow reach, without their descriptions and Kubernetes annotations
// (x-kubernetes-*), with every object that lists its properties closed, so that a misspelt or
// misplaced field fails the tests, and with IntOrString as Kubernetes reads it (Argo's file says
// only "string", but the API server and Argo take `limit: 2` and `activeDeadlineSeconds: 660`).
//   node scripts/argo-schema.mjs path/to/argo-workflows/api/jsonschema/schema.json v4.1.2
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [source, tag] = process.argv.slice(2);
if (!source || !tag) {
  console.error('usage: node scripts/argo-schema.mjs <argo-workflows api/jsonschema/schema.json> <its git tag>');
  process.exit(2);
}
const full = JSON.parse(readFileSync(source, 'utf8'));
const kept = new Map();

function reduce(value) {
  if (Array.isArray(value)) return value.map(reduce);
  if (!value || typeof value !== 'object') return value;
  const out = {};
  for (const [key, v] of Object.entries(value)) {
    if ((key === 'description' && typeof v === 'string') || key.startsWith('x-kubernetes-')) continue;
    if (key === '$ref') keep(v.replace('#/definitions/', ''));
    out[key] = reduce(v);
  }
  if (out.type === 'object' && out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

function keep(name) {
  if (kept.has(name)) return;
  if (!full.definitions[name]) throw new Error(`${source} has no definition ${name}`);
  kept.set(name, null);
  kept.set(name, reduce(full.definitions[name]));
}

const intOrString = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
kept.set(intOrString, { type: ['integer', 'string'] });
for (const kind of ['Workflow', 'WorkflowTemplate', 'CronWorkflow']) keep(`io.argoproj.workflow.v1alpha1.${kind}`);
const schema = {
  $comment: `Argo Workflows ${tag}, api/jsonschema/schema.json: the ${kept.size} definitions that Workflow, WorkflowTemplate and CronWorkflow reach, descriptions and x-kubernetes-* removed, objects closed, IntOrString an integer or a string. Written by scripts/argo-schema.mjs.`,
  $schema: full.$schema,
  definitions: Object.fromEntries([...kept].sort(([a], [b]) => a.localeCompare(b))),
};
const out = join(import.meta.dirname, '..', 'test', 'schemas', 'argo-workflows.schema.json');
writeFileSync(out, JSON.stringify(schema, null, 1) + '\n');
console.log(`wrote ${out}: ${kept.size} definitions`);
