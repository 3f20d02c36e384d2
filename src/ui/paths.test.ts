import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadPath, pageRoute, pathSegments } from './paths.js';

test('Should split and decode a path into segments', () => {
  assert.deepEqual(pathSegments('/'), []);
  assert.deepEqual(pathSegments('/flows/ArtFlow/runs/12/'), ['flows', 'ArtFlow', 'runs', '12']);
  assert.deepEqual(pathSegments('/a%20b'), ['a b']);
});

test('Should refuse every path that could reach another file', () => {
  for (const p of ['/../etc/passwd', '/assets/..', '/assets/./app.js', '/a/%2e%2e/b', '/a%2fb', '/a%2Fb', '/a%5cb', '/a\\b', '/a%00b', '//etc/passwd', '/a//b', '/%E0%A4%A', 'etc/passwd', '/a%0ab']) {
    assert.throws(() => pathSegments(p), BadPath, p);
  }
});

test('Should name the page of each page path, and none for anything else', () => {
  assert.deepEqual(pageRoute([]), { page: 'flows' });
  assert.deepEqual(pageRoute(['flows', 'ArtFlow']), { page: 'runs', flow: 'ArtFlow' });
  assert.deepEqual(pageRoute(['flows', 'ArtFlow', 'runs', '17']), { page: 'run', flow: 'ArtFlow', runId: '17' });
  assert.deepEqual(pageRoute(['flows', 'F', 'runs', '17', 'steps', 'train', 'tasks', '4']), { page: 'task', flow: 'F', runId: '17', step: 'train', taskId: '4' });
  assert.deepEqual(pageRoute(['flows', 'F', 'compare']), { page: 'compare', flow: 'F' });
  for (const seg of [['nope'], ['compare'], ['flows', 'F', 'compare', 'x'], ['flows', 'bad name'], ['flows', 'F', 'runs'], ['flows', 'F', 'runs', 'a/b'], ['flows', 'F', 'runs', '1', 'steps', 's'], ['flows', 'F', 'tasks', '1']]) {
    assert.equal(pageRoute(seg), undefined, seg.join('/'));
  }
});
