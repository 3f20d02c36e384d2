/**
 * The Kubernetes manifest in docs/k8s is a Deployment of `cairn worker` pods that cairn would accept
 * as written: parsed as YAML, its worker arguments checked against the command's own option table.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from './helpers.js';
import { parseArgs } from '../src/cli/args.js';
import worker from '../src/cli/commands/worker.js';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string }; resourceFieldRef?: { resource: string; divisor?: string } };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

const manifestPath = join(repoRoot, 'docs', 'k8s', 'cairn-worker.yaml');
const docs = parseAllDocuments(readFileSync(manifestPath, 'utf8'));
const deployment = docs[0]?.toJS() as {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: { containers: Container[]; terminationGracePeriodSeconds?: number } };
  };
};

test('docs/k8s/cairn-worker.yaml is one valid apps/v1 Deployment whose selector matches its pods', () => {
  assert.equal(docs.length, 1);
  for (const d of docs) assert.deepEqual(d.errors, []);
  assert.equal(deployment.apiVersion, 'apps/v1');
  assert.equal(deployment.kind, 'Deployment');
  assert.match(deployment.metadata.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  assert.ok(Number.isInteger(deployment.spec.replicas) && deployment.spec.replicas >= 1);
  const labels = deployment.spec.template.metadata.labels;
  for (const [k, v] of Object.entries(deployment.spec.selector.matchLabels)) assert.equal(labels[k], v, `selector label ${k}`);
  assert.ok((deployment.spec.template.spec.terminationGracePeriodSeconds ?? 30) >= 30);
});

test('its pods run `cairn worker` with options the worker accepts, each $(VAR) defined', () => {
  const [c] = deployment.spec.template.spec.containers;
  assert.ok(c && c.image);
  const argv = [...(c.command ?? []), ...(c.args ?? [])];
  const at = argv.indexOf('worker');
  assert.ok(at > 0 && /(^|\/)cairn$/.test(argv[at - 1]!), `runs cairn worker: ${argv.join(' ')}`);
  const parsed = parseArgs(worker, argv.slice(at + 1));
  assert.deepEqual(parsed.positionals, []);
  for (const name of ['name', 'cpu', 'memory', 'concurrency']) assert.notEqual(parsed.options[name], undefined, `--${name}`);
  const defined = new Set((c.env ?? []).map((e) => e.name));
  for (const ref of argv.join(' ').matchAll(/\$\((\w+)\)/g)) assert.ok(defined.has(ref[1]!), `$(${ref[1]}) is defined in env`);
  // What it offers to @resources is the pod's limit.
  const fieldOf = (name: string) => c.env!.find((e) => e.name === name)?.valueFrom?.resourceFieldRef;
  assert.deepEqual(fieldOf('CPU_LIMIT'), { resource: 'limits.cpu', divisor: '1' });
  assert.deepEqual(fieldOf('MEMORY_LIMIT_MB'), { resource: 'limits.memory', divisor: '1Mi' });
});

test('its pods get the queue and store settings, secrets from a Secret, and never the metadata database', () => {
  const [c] = deployment.spec.template.spec.containers;
  const env = new Map((c!.env ?? []).map((e) => [e.name, e]));
  for (const name of ['CAIRN_REDIS_URL', 'CAIRN_QUEUE_PREFIX', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']) assert.ok(env.has(name), name);
  for (const name of ['CAIRN_REDIS_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
    assert.ok(env.get(name)!.valueFrom?.secretKeyRef, `${name} comes from a Secret`);
    assert.equal(env.get(name)!.value, undefined);
  }
  for (const name of ['CAIRN_METADATA', 'CAIRN_METADATA_URL']) assert.equal(env.has(name), false, `${name} is not given to workers`);
});

test('its pods request the resources they offer', () => {
  const [c] = deployment.spec.template.spec.containers;
  const { requests, limits } = c!.resources ?? {};
  assert.ok(requests?.['cpu'] && requests['memory'], 'cpu and memory requests');
  assert.ok(limits?.['cpu'] && limits['memory'], 'cpu and memory limits (what the worker offers)');
  assert.match(requests['memory']!, /^\d+(Ki|Mi|Gi|Ti)?$/);
  assert.match(requests['cpu']!, /^\d+(\.\d+)?m?$/);
});

test('docs/scale-out.md points at the manifest', () => {
  const doc = readFileSync(join(repoRoot, 'docs', 'scale-out.md'), 'utf8');
  assert.match(doc, /\(k8s\/cairn-worker\.yaml\)/);
  assert.match(doc, /kubectl apply -f docs\/k8s\/cairn-worker\.yaml/);
});
