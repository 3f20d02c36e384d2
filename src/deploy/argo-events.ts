/**
 * What starts a deployed flow besides a person: a `CronWorkflow` for `@schedule`, and an Argo Events
 * `Sensor` for `@trigger` (an event posted to the webhook event source, whose payload sets
 * parameters) and `@triggerOnFinish` (a workflow of the upstream deployment that succeeded, seen by
 * the resource event source that watches workflows). The event sources are set up once per
 * namespace (docs/k8s/cairn-events.yaml).
 */
import type { FlowDecorations } from '../authoring/flow-decorators.js';
import type { ArgoParameter } from './argo-dag.js';
import { DEPLOYMENT_LABEL, PART_OF } from './argo-names.js';

type Json = Record<string, unknown>;

export interface EventSources {
  /** The webhook event source that `@trigger` events are posted to, and its event. */
  webhook: { source: string; event: string };
  /** The resource event source that sees workflows change, and its event. */
  workflows: { source: string; event: string };
}

export const DEFAULT_EVENT_SOURCES: EventSources = {
  webhook: { source: 'cairn-events', event: 'cairn' },
  workflows: { source: 'cairn-workflows', event: 'workflows' },
};

interface Target {
  name: string;
  namespace?: string;
  parameters: readonly ArgoParameter[];
}

function meta(t: Target, name: string): Json {
  return { name, ...(t.namespace ? { namespace: t.namespace } : {}), labels: { ...PART_OF, [DEPLOYMENT_LABEL]: t.name } };
}

export function cronWorkflow(t: Target, schedule: NonNullable<FlowDecorations['schedule']>): Json {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'CronWorkflow',
    metadata: meta(t, t.name),
    spec: {
      schedules: [schedule.cron],
      ...(schedule.timezone ? { timezone: schedule.timezone } : {}),
      // A run still going when the next one is due is left to finish; both run.
      concurrencyPolicy: 'Allow',
      workflowSpec: { workflowTemplateRef: { name: t.name } },
    },
  };
}

/**
 * The Sensor that starts the deployment on its `@trigger` event or when an upstream deployment
 * succeeds. `upstream` are the WorkflowTemplate names of the `@triggerOnFinish` flows.
 */
export function sensor(t: Target, d: FlowDecorations, upstream: readonly string[], sources: EventSources = DEFAULT_EVENT_SOURCES): Json | undefined {
  if (!d.trigger && upstream.length === 0) return undefined;
  const dependencies: Json[] = [];
  const fromEvent: Json[] = [];
  if (d.trigger) {
    dependencies.push({
      name: 'event',
      eventSourceName: sources.webhook.source,
      eventName: sources.webhook.event,
      filters: { data: [{ path: 'body.name', type: 'string', value: [d.trigger.event] }] },
    });
    t.parameters.forEach((p, i) => {
      const field = d.trigger!.parameters[p.name];
      if (field === undefined) return;
      fromEvent.push({
        src: { dependencyName: 'event', dataKey: `body.payload.${field}`, ...(p.value !== undefined ? { value: p.value } : {}) },
        dest: `spec.arguments.parameters.${i}.value`,
      });
    });
  }
  upstream.forEach((name, i) => {
    dependencies.push({
      name: `upstream-${i}`,
      eventSourceName: sources.workflows.source,
      eventName: sources.workflows.event,
      filters: {
        data: [
          { path: `body.metadata.labels.${DEPLOYMENT_LABEL.replace(/\./g, '\\.')}`, type: 'string', value: [name] },
          { path: 'body.status.phase', type: 'string', value: ['Succeeded'] },
        ],
      },
    });
  });
  const workflow = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { generateName: `${t.name}-` },
    spec: {
      workflowTemplateRef: { name: t.name },
      ...(t.parameters.length ? { arguments: { parameters: t.parameters.map((p) => ({ name: p.name, ...(p.value !== undefined ? { value: p.value } : {}) })) } } : {}),
    },
  };
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Sensor',
    metadata: meta(t, t.name),
    spec: {
      dependencies,
      triggers: [
        {
          template: {
            name: t.name,
            // Any one of the dependencies starts a run (the event, or one upstream flow finishing).
            conditions: dependencies.map((x) => x['name']).join(' || '),
            argoWorkflow: { operation: 'submit', source: { resource: workflow }, ...(fromEvent.length ? { parameters: fromEvent } : {}) },
          },
        },
      ],
    },
  };
}
