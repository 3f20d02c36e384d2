import { test } from 'node:test';
import assert from 'node:assert/strict';
import { branchChoiceFromEnv, noProjectChoice, projectBranch } from './project.js';

test('Should put a run on the user branch by default, test.NAME with a branch, prod in production', () => {
  assert.equal(projectBranch('fraud', 'ScoreFlow', 'Alice.B').branch, 'user.alice_b');
  const test1 = projectBranch('fraud', 'ScoreFlow', 'alice', { branch: 'new_model' });
  assert.equal(test1.projectFlowName, 'fraud.test.new_model.ScoreFlow');
  assert.equal(test1.isUserBranch, false);
  const prod = projectBranch('fraud', 'ScoreFlow', 'alice', { production: true });
  assert.deepEqual(prod.systemTags, ['project:fraud', 'project_branch:prod']);
  assert.equal(prod.deploymentNamespace, 'production:fraud.prod');
  assert.equal(prod.isProduction, true);
  assert.equal(projectBranch('fraud', 'F', 'a', { production: true, branch: 'v2' }).branch, 'prod.v2');
});

test('Should refuse a bad branch name, and a branch for a flow without @project', () => {
  assert.throws(() => projectBranch('p', 'F', 'a', { branch: 'Has Space' }), /--branch "Has Space" is not a branch name/);
  assert.throws(() => noProjectChoice('F', { production: true }), /--production needs a flow with @project; F has none/);
  assert.doesNotThrow(() => noProjectChoice('F', {}));
});

test('Should read the branch from CAIRN_BRANCH and CAIRN_PRODUCTION', () => {
  assert.deepEqual(branchChoiceFromEnv({ CAIRN_BRANCH: 'x', CAIRN_PRODUCTION: 'true' }), { branch: 'x', production: true });
  assert.deepEqual(branchChoiceFromEnv({ CAIRN_PRODUCTION: '0' }), {});
});
