/**
 * `cairn argo-workflows create`: the objects it writes for the examples match their golden files
 * (`CAIRN_UPDATE_GOLDEN=1` rewrites them) and pass the Argo Workflows schemas
 * (Argo's own JSON schema, cut by scripts/argo-schema.mjs) and the Argo Events Sensor schema
 * (both in test/schemas, with closed objects); flows and
 * options it cannot express fail naming what.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Project, repoRoot } from './helpers.js';

const project = new Project();
const golden = join(repoRoot, 'test', 'golden', 'argo');
const update = process.env['CAIRN_UPDATE_GOLDEN'] === '1';
const schema = (file: string) => JSON.parse(readFileSync(join(repoRoot, 'test', 'schemas', file), 'utf8'));
const sensorSchema = new Ajv({ allErrors: true }).compile(schema('argo-events-sensor.schema.json'));
const integer = { type: 'number', validate: (n: number) => Number.isInteger(n) } as const;
const argo = new Ajv2020({ allErrors: true, strictTypes: false, formats: { int32: integer, int64: integer, byte: /^[A-Za-z0-9+/]*={0,2}$/, 'date-time': true } });
argo.addSchema(schema('argo-workflows.schema.json'), 'argo');
const argoKind = (kind: string) => argo.getSchema(`argo#/definitions/io.argoproj.workflow.v1alpha1.${kind}`)!;

/** Fails naming every field of `o` that Argo's schema for `kind` refuses. */
function argoValid(kind: string, o: Json): void {
  const check = argoKind(kind);
  assert.ok(check(o), `not a valid ${kind}: ${JSON.stringify(check.errors)}`);
}

before(() => {
  for (const f of readdirSync(join(repoRoot, 'examples')).filter((f) => f.endsWith('.ts'))) copyFileSync(join(repoRoot, 'examples', f), join(project.dir, f));
});
after(() => project[Symbol.dispose]());

type Json = Record<string, any>;

const create = (args: string[]) => project.cli(['argo-workflows', 'create', ...args], { CAIRN_USER: 'alice' });

function validate(objects: Json[]): void {
  for (const o of objects) {
    if (o['kind'] === 'WorkflowTemplate' || o['kind'] === 'CronWorkflow') argoValid(o['kind'], o);
    else if (o['kind'] === 'Sensor') {
      assert.ok(sensorSchema(o), JSON.stringify(sensorSchema.errors));
      for (const t of o['spec'].triggers) argoValid('Workflow', t.template.argoWorkflow.source.resource);
    } else assert.fail(`unexpected kind ${o['kind']}`);
  }
}

for (const [name, file, args] of [
  ['seed', 'pass-artifacts-between-steps.ts', []],
  ['foreach', 'foreach.ts', []],
  ['branch', 'branch-join.ts', []],
  ['switch', 'switch.ts', ['--namespace', 'ml']],
  ['production', 'production.ts', ['--production', '--image', 'registry.example.com/ml/flows:1.0.0']],
] as const) {
  test(`the ${name} flow's objects match test/golden/argo/${name}.yaml and pass the Argo schemas`, async () => {
    const r = await create([file, ...args]);
    assert.equal(r.code, 0, r.stderr);
    const objects = parseAllDocuments(r.stdout).map((d) => d.toJS() as Json);
    validate(objects);
    const path = join(golden, `${name}.yaml`);
    if (update) writeFileSync(path, r.stdout);
    assert.ok(existsSync(path), `${path} is missing; write it with CAIRN_UPDATE_GOLDEN=1`);
    assert.equal(r.stdout, readFileSync(path, 'utf8'), `the objects differ from ${path}; rerun with CAIRN_UPDATE_GOLDEN=1 if the change is meant`);
  });
}

test("Argo's schema refuses a misspelt field, a misplaced one and a wrong type", async () => {
  const r = await create(['foreach.ts', '--only-json']);
  assert.equal(r.code, 0, r.stderr);
  const wt = (JSON.parse(r.stdout) as Json)['items'][0] as Json;
  argoValid('WorkflowTemplate', wt);
  const refused = (change: (t: Json) => void, field: string) => {
    const t = structuredClone(wt);
    change(t);
    assert.equal(argoKind('WorkflowTemplate')(t), false, `a WorkflowTemplate with ${field} passed`);
    assert.match(JSON.stringify(argoKind('WorkflowTemplate').errors), new RegExp(field));
  };
  refused((t) => { t['spec'].entrypoint = undefined; t['spec'].entrypiont = 'start'; }, 'entrypiont');
  refused((t) => { t['spec'].templates[0].retryStrategy = { limit: 1, backof: {} }; }, 'backof');
  refused((t) => { t['spec'].templates[0].activeDeadlineSeconds = { seconds: 5 }; }, 'activeDeadlineSeconds');
});

test('the templates carry every step decorator, and secrets only as references', async () => {
  const r = await create(['production.ts', '--only-json', '--production']);
  assert.equal(r.code, 0, r.stderr);
  const list = JSON.parse(r.stdout) as Json;
  assert.equal(list['kind'], 'List');
  const [wt, cron, sensor] = list['items'] as Json[];
  assert.deepEqual([wt!['kind'], cron!['kind'], sensor!['kind']], ['WorkflowTemplate', 'CronWorkflow', 'Sensor']);
  assert.equal(wt!['metadata'].name, 'fraud.prod.scoreflow');
  const templates = new Map<string, Json>(wt!['spec'].templates.map((t: Json) => [t['name'], t]));
  const start = templates.get('start')!;
  assert.deepEqual(start['retryStrategy'], { limit: 2, retryPolicy: 'Always', backoff: { duration: '60s' } });
  assert.equal(start['activeDeadlineSeconds'], 660);
  assert.ok(start['container'].args.includes('{{retries}}'));
  const score = templates.get('score')!;
  assert.deepEqual(score['container'].resources, { requests: { cpu: '2', memory: '8192Mi' } });
  assert.deepEqual(score['container'].env, [{ name: 'CAIRN_USER', value: 'alice' }, { name: 'MODEL', value: 'gbm-v3' }]);
  assert.deepEqual(templates.get('cairn-init-run')!['container'].args, ['init-run', 'production.ts', '--run-id', 'argo-{{workflow.name}}', '--production', '--day={{workflow.parameters.day}}', '--threshold={{workflow.parameters.threshold}}']);
  assert.deepEqual(wt!['spec'].arguments.parameters, [{ name: 'day', value: 'today' }, { name: 'threshold', value: '0.5' }]);
  assert.deepEqual(cron!['spec'].schedules, ['0 6 * * 1-5']);
  assert.equal(cron!['spec'].timezone, 'Europe/Paris');
  // No store setting or credential of this machine reaches the objects.
  const withStore = await project.cli(['argo-workflows', 'create', 'production.ts', '--only-json'], {
    CAIRN_USER: 'alice', CAIRN_METADATA_URL: 'postgres://u:hunter2@db/cairn', AWS_SECRET_ACCESS_KEY: 'hunter3', CAIRN_DATASTORE_ROOT: 's3://bucket/x',
  });
  assert.equal(withStore.code, 0, withStore.stderr);
  assert.doesNotMatch(withStore.stdout, /hunter|s3:\/\/bucket|postgres:/);
  for (const t of templates.values()) {
    if (t['container']) assert.deepEqual(t['container'].envFrom, [{ configMapRef: { name: 'cairn-store' } }, { secretRef: { name: 'cairn-store' } }]);
  }
});

test('--output writes one file per object', async () => {
  const r = await create(['production.ts', '--output', 'k8s', '--branch', 'exp']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readdirSync(join(project.dir, 'k8s')).sort(), [
    'fraud.test.exp.scoreflow.cronworkflow.yaml', 'fraud.test.exp.scoreflow.sensor.yaml', 'fraud.test.exp.scoreflow.workflowtemplate.yaml',
  ]);
  assert.match(r.stderr, /kubectl apply -f k8s/);
});

test('a flow or an option that Argo cannot express fails create, naming it', async () => {
  project.write('nested.ts', `
import { FlowSpec, step, type Inputs } from 'cairnflow';
export class NestedFlow extends FlowSpec {
  declare xs: number[]; declare ys: number[];
  @step start() { this.xs = [1, 2]; this.next(this.outer, { foreach: 'xs' }); }
  @step outer() { this.ys = [1]; this.next(this.inner, { foreach: 'ys' }); }
  @step inner() { this.next(this.inner_join); }
  @step inner_join(inputs: Inputs<NestedFlow>) { this.next(this.outer_join); }
  @step outer_join(inputs: Inputs<NestedFlow>) { this.next(this.end); }
  @step end() {}
}
`);
  project.write('loop.ts', `
import { FlowSpec, step } from 'cairnflow';
export class LoopFlow extends FlowSpec {
  declare again: string;
  @step start() { this.next(this.work); }
  @step work() { this.again = 'no'; this.next({ yes: this.work, no: this.end }, { condition: 'again' }); }
  @step end() {}
}
`);
  const cases: Array<[string[], RegExp]> = [
    [['nested.ts'], /NestedFlow cannot be exported to Argo Workflows: step outer is a nested foreach/],
    [['loop.ts'], /LoopFlow cannot be exported to Argo Workflows: step work loops through its switch/],
    [['parameters.ts'], /ParamFlow cannot be exported to Argo Workflows: parameter --notes has no default and is not required/],
    [['foreach.ts', '--production'], /--production needs a flow with @project; ForeachFlow has none/],
    [['foreach.ts', '--namespace', 'Bad_NS'], /--namespace "Bad_NS" is not a Kubernetes namespace name/],
    [['foreach.ts', '--image', 'has space'], /--image "has space" is not an image reference/],
    [['foreach.ts', '--only-json', '--output', 'x'], /Give --only-json or --output DIR, not both/],
  ];
  for (const [args, message] of cases) {
    const r = await create(args);
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.stderr, message);
    assert.equal(r.stdout, '');
  }
  project.write('orphan.ts', readFileSync(join(project.dir, 'production.ts'), 'utf8').replace("flow: 'ForeachFlow'", "flow: 'GoneFlow'"));
  const r = await create(['orphan.ts']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /@triggerOnFinish on flow ScoreFlow: flow 'GoneFlow' is unknown/);
});
