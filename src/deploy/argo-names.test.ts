import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deploymentName, labelValue, stepTaskName } from './argo-names.js';

test('Should make a lowercase DNS name of a deployment, hashing the end of a long one', () => {
  assert.equal(deploymentName('fraud.user.alice_b.ScoreFlow'), 'fraud.user.alice-b.scoreflow');
  const long = deploymentName(`fraud.test.${'x'.repeat(80)}.ScoreFlow`);
  assert.equal(long.length <= 52, true);
  assert.match(long, /^fraud\.test\.x+-[0-9a-f]{8}$/);
  assert.notEqual(long, deploymentName(`fraud.test.${'x'.repeat(80)}.OtherFlow`));
});

test('Should name DAG tasks without underscores, and keep label values within 63 characters', () => {
  assert.equal(stepTaskName('train_model'), 'train-model');
  assert.equal(labelValue('a b'), 'a-b');
  assert.equal(labelValue('y'.repeat(100)).length <= 63, true);
});
