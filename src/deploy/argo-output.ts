/** Writing a deployment's objects: YAML documents, a JSON List, or one file per object (each written atomically). */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

type Json = Record<string, unknown>;

function yaml(objects: readonly Json[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}

export async function objectsText(objects: readonly Json[], format: 'yaml' | 'json'): Promise<string> {
  if (format === 'json') return `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n`;
  return yaml(objects);
}

/** `<name>.<kind>.yaml` for each object, in `dir` (created if needed); returns the files written. */
export function writeObjects(objects: readonly Json[], dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return objects.map((o) => {
    const meta = o['metadata'] as { name: string };
    const file = join(dir, `${meta.name}.${String(o['kind']).toLowerCase()}.yaml`);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, yaml([o]));
    renameSync(tmp, file);
    return file;
  });
}
