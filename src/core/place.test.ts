import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describePlace, placesOf, taskPlace } from './place.js';

const frame = (index: number) => ({ index });

test('a place names the step, the foreach indices and the iteration', () => {
  assert.equal(taskPlace('train', [frame(2), frame(0)], 1), 'train[2,0]#1');
});

test('tasks of a step that a switch loops back to take iterations in task-id order', () => {
  const tasks = [{ step: 'start', foreachStack: [] }, { step: 'loop', foreachStack: [] }, { step: 'loop', foreachStack: [] }, { step: 'w', foreachStack: [frame(0)] }, { step: 'w', foreachStack: [frame(1)] }];
  assert.deepEqual(placesOf(tasks).map((p) => [p.place, p.iteration]), [
    ['start[]#0', 0], ['loop[]#0', 0], ['loop[]#1', 1], ['w[0]#0', 0], ['w[1]#0', 0],
  ]);
});

test('places for people', () => {
  assert.equal(describePlace([], 0), '');
  assert.equal(describePlace([frame(3)], 0), 'foreach index 3');
  assert.equal(describePlace([frame(1), frame(3)], 2), 'foreach indices 1, 3, iteration 2');
  assert.equal(describePlace([], 2), 'iteration 2');
});
