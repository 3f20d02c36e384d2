/**
 * The default card's own parts, drawn after the task: its metadata, the flow's parameters, every
 * artifact (type, size and a preview), the graph with this step highlighted, and the step's source.
 */
import type { ArtifactInfo } from '../storage/types.js';
import { previewValue, type ArtifactPreview, type PreviewOptions } from '../storage/preview.js';
import { encodeArtifact } from '../storage/codec.js';
import type { ArtifactItem, CardCell, CardComponent, DagStep } from './document.js';

/** Artifacts larger than this (stored bytes) are listed without loading them. */
export const PREVIEW_LOAD_BYTES = 1024 * 1024;

const PREVIEW: PreviewOptions = { maxRows: 20, maxItems: 40, maxDepth: 4, maxString: 500, samplePoints: 120, maxImageBytes: 512 * 1024 };

/** What the task knows about itself, for the default card. */
export interface DefaultCardTask {
  pathspec: string;
  step: string;
  attempt: number;
  user: string;
  tags: readonly string[];
  startedAt: number;
  finishedAt: number;
  status: 'succeeded' | 'failed';
  failure?: { type: string; message: string; stack?: string };
  /** The step's source, as written in the flow file. */
  source?: { file: string; line: number; code: string };
  dag?: DagStep[];
}

/** One artifact or parameter: its stored form when it was stored, its value when the task holds it. */
export interface CardArtifact {
  name: string;
  info?: ArtifactInfo;
  value?: { v: unknown };
}

export interface DefaultCardInput extends DefaultCardTask {
  parameters: CardArtifact[];
  artifacts: CardArtifact[];
  /** Reads and decodes a stored artifact. */
  load(info: ArtifactInfo): Promise<unknown>;
  /** Stop loading values at this time (epoch ms): the rest are listed as not shown. */
  deadline: number;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

async function previewOf(a: CardArtifact, load: DefaultCardInput['load'], deadline: number): Promise<{ preview: ArtifactPreview; type: string; size: number }> {
  let size = a.info?.size ?? 0;
  let type = a.info?.type ?? 'unknown';
  try {
    let value: unknown;
    if (a.value) {
      value = a.value.v;
      if (!a.info) {
        const encoded = encodeArtifact(value, { name: a.name, step: 'card' });
        size = encoded.bytes.byteLength;
        type = encoded.type;
      }
    } else if (a.info) {
      if (a.info.size > PREVIEW_LOAD_BYTES) return { type, size, preview: { kind: 'unavailable', type, reason: `too large to preview in a card (${size} bytes)` } };
      if (Date.now() > deadline) return { type, size, preview: { kind: 'unavailable', type, reason: 'the card ran out of time before this value' } };
      value = await load(a.info);
    }
    return { type, size, preview: previewValue(value, PREVIEW) };
  } catch (e) {
    const err = e as { message?: string; code?: string };
    return { type, size, preview: { kind: 'unavailable', type, reason: String(err?.message ?? e), ...(typeof err?.code === 'string' ? { code: err.code } : {}) } };
  }
}

/** A parameter's value as one line of text. */
function previewText(p: ArtifactPreview): string {
  switch (p.kind) {
    case 'value':
    case 'text':
      return p.text;
    case 'unavailable':
      return `(not shown: ${p.reason})`;
    case 'numbers':
      return `${p.type}(${p.length})`;
    case 'table':
      return `${p.type}: ${p.rowCount} rows`;
    default:
      return p.type;
  }
}

/** How a card shows that its task failed. */
export function failureComponent(f: NonNullable<DefaultCardTask['failure']>): CardComponent {
  return { type: 'error', title: 'The task failed', errorType: f.type, message: f.message, ...(f.stack ? { stack: f.stack } : {}) };
}

/** The default card's own components, after the user's. */
export async function defaultCardParts(input: DefaultCardInput): Promise<CardComponent[]> {
  const out: CardComponent[] = [];
  if (input.status === 'failed' && input.failure) out.push(failureComponent(input.failure));
  const props: Array<[string, CardCell]> = [
    ['pathspec', input.pathspec],
    ['attempt', input.attempt],
    ['status', input.status],
    ['user', input.user],
    ['tags', input.tags.length > 0 ? input.tags.join(', ') : '—'],
    ['started', iso(input.startedAt)],
    ['finished', iso(input.finishedAt)],
    ['duration', seconds(input.finishedAt - input.startedAt)],
  ];
  out.push({ type: 'section', title: 'Task', components: [{ type: 'properties', items: props }] });

  const [params, artifacts] = await Promise.all([
    Promise.all(input.parameters.map(async (p) => [p.name, previewText((await previewOf(p, input.load, input.deadline)).preview)] as [string, CardCell])),
    Promise.all(
      input.artifacts.map(async (a): Promise<ArtifactItem> => {
        const p = await previewOf(a, input.load, input.deadline);
        return { name: a.name, type: p.type, size: p.size, preview: p.preview };
      }),
    ),
  ]);
  if (params.length > 0) out.push({ type: 'section', title: 'Parameters', components: [{ type: 'properties', items: params }] });
  const note = input.status === 'failed' ? 'The task failed, so these values were not stored: they are what the step held when it stopped.' : undefined;
  out.push({
    type: 'section',
    title: `Artifacts (${artifacts.length})`,
    components: artifacts.length > 0 ? [{ type: 'artifacts', items: artifacts.sort((a, b) => a.name.localeCompare(b.name)), ...(note ? { note } : {}) }] : [{ type: 'markdown', text: '_This task has no artifacts._' }],
  });
  if (input.dag && input.dag.length > 0) out.push({ type: 'section', title: 'Graph', components: [{ type: 'dag', steps: input.dag, highlight: input.step }] });
  if (input.source) {
    const s = input.source;
    out.push({ type: 'section', title: 'Source', components: [{ type: 'code', code: s.code, language: 'typescript', title: `${s.file}:${s.line}`, firstLine: s.line }] });
  }
  return out;
}
