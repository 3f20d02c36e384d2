/**
 * Names for Kubernetes objects of a deployed flow. Object names are lowercase DNS labels; Argo's
 * DAG task and template names are letters, digits and `-`; a step name's `_` becomes `-` (step names
 * have no `-`, so two steps never get the same name).
 */
import { sha1Hex } from '../storage/hash.js';

/** Longest deployment name: Argo appends `-<5 chars>` to a workflow's name, which must stay a label (63). */
const MAX_NAME = 52;

/** `fraud.prod.ScoreFlow` → `fraud.prod.scoreflow`: a lowercase DNS subdomain of at most 52 characters. */
export function deploymentName(name: string): string {
  const clean = name.toLowerCase().replace(/_/g, '-').replace(/[^a-z0-9.-]/g, '-').replace(/^[.-]+|[.-]+$/g, '') || 'flow';
  if (clean.length <= MAX_NAME) return clean;
  return `${clean.slice(0, MAX_NAME - 9).replace(/[.-]+$/, '')}-${sha1Hex(Buffer.from(clean)).slice(0, 8)}`;
}

/** The DAG task and container template of a step. */
export function stepTaskName(step: string): string {
  return step.replace(/_/g, '-');
}

/** A label value (at most 63 characters of letters, digits, `-`, `_`, `.`). */
export function labelValue(text: string): string {
  const clean = text.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return clean.length <= 63 ? clean : `${clean.slice(0, 54).replace(/[^A-Za-z0-9]+$/, '')}-${sha1Hex(Buffer.from(clean)).slice(0, 8)}`;
}

/** Labels and annotations every object of a deployment carries. */
export const PART_OF = { 'app.kubernetes.io/part-of': 'cairn' } as const;
export const DEPLOYMENT_LABEL = 'cairn.dev/deployment';
