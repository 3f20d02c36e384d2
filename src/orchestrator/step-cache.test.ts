import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { cacheKey, dependenciesHash, type CacheKeyInputs } from './step-cache.js';

const base: CacheKeyInputs = {
  flow: 'F', step: 'train', codeSha: 'c'.repeat(40), dependencies: 'package-lock.json:abc',
  decorators: { environment: { vars: { MODE: 'fast' } }, cache: { enabled: true } },
  inputs: [{ x: '1'.repeat(40), y: '2'.repeat(40) }], parameters: { alpha: '3'.repeat(40) },
  foreach: [{ step: 'start', var: 'items', numSplits: 3, index: 1, listSha: '4'.repeat(40) }], iteration: 0,
};

describe('step cache key', () => {
  it('is the same for the same inputs, whatever the order of names', () => {
    const reordered = { ...base, inputs: [{ y: '2'.repeat(40), x: '1'.repeat(40) }] };
    assert.equal(cacheKey(base), cacheKey(reordered));
    assert.match(cacheKey(base), /^[0-9a-f]{40}$/);
  });

  it('changes with each of its inputs, one at a time', () => {
    const changes: Array<[string, Partial<CacheKeyInputs>]> = [
      ['flow', { flow: 'G' }],
      ['step', { step: 'other' }],
      ['code', { codeSha: 'd'.repeat(40) }],
      ['dependencies', { dependencies: 'package-lock.json:abd' }],
      ['no dependencies', { dependencies: null }],
      ['a decorator', { decorators: { environment: { vars: { MODE: 'slow' } } } }],
      ['an input artifact', { inputs: [{ x: '1'.repeat(40), y: '5'.repeat(40) }] }],
      ['an added input artifact', { inputs: [{ x: '1'.repeat(40), y: '2'.repeat(40), z: '6'.repeat(40) }] }],
      ['the inputs of a join, reordered', { inputs: [{ a: '1'.repeat(40) }, { a: '2'.repeat(40) }] }],
      ['a parameter', { parameters: { alpha: '7'.repeat(40) } }],
      ['the foreach index', { foreach: [{ ...base.foreach[0]!, index: 2 }] }],
      ['the foreach list', { foreach: [{ ...base.foreach[0]!, listSha: '8'.repeat(40) }] }],
      ['the loop iteration', { iteration: 1 }],
    ];
    const seen = new Set([cacheKey(base)]);
    for (const [what, change] of changes) {
      const key = cacheKey({ ...base, ...change });
      assert.ok(!seen.has(key), `changing ${what} changes the key`);
      seen.add(key);
    }
    const joinA = cacheKey({ ...base, inputs: [{ a: '1'.repeat(40) }, { a: '2'.repeat(40) }] });
    assert.notEqual(joinA, cacheKey({ ...base, inputs: [{ a: '2'.repeat(40) }, { a: '1'.repeat(40) }] }));
  });

  it('leaves @cache itself out of the key', () => {
    assert.equal(cacheKey(base), cacheKey({ ...base, decorators: { environment: { vars: { MODE: 'fast' } } } }));
  });

  it('hashes the nearest lock file, else package.json, else nothing', () => {
    const root = mkdtempSync(join(tmpdir(), 'cairn-deps-'));
    mkdirSync(join(root, 'flows'));
    const flow = join(root, 'flows', 'f.ts');
    writeFileSync(flow, '');
    writeFileSync(join(root, 'package.json'), '{}');
    assert.match(dependenciesHash(flow) ?? '', /^package\.json:[0-9a-f]{40}$/);
    writeFileSync(join(root, 'package-lock.json'), '{"lockfileVersion":3}');
    const a = dependenciesHash(flow);
    assert.match(a ?? '', /^package-lock\.json:/);
    writeFileSync(join(root, 'package-lock.json'), '{"lockfileVersion":3,"x":1}');
    assert.notEqual(dependenciesHash(flow), a);
  });
});
