import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowSpec } from './flow-spec.js';
import { flowDecorationsOf, project, schedule, trigger, triggerOnFinish } from './flow-decorators.js';

test('Should record checked options of the flow decorators on the class', () => {
  @project({ name: 'fraud' })
  @schedule({ cron: '0  6 * * MON-FRI', timezone: 'Europe/Paris' })
  @trigger({ event: 'data_ready', parameters: { alpha: 'a' } })
  @triggerOnFinish({ flow: 'UpFlow' })
  class A extends FlowSpec {}
  assert.deepEqual(flowDecorationsOf(A), {
    project: { name: 'fraud' },
    schedule: { cron: '0 6 * * 1-5', timezone: 'Europe/Paris' },
    trigger: { event: 'data_ready', parameters: { alpha: 'a' } },
    triggerOnFinish: { flows: ['UpFlow'] },
  });
});

test('Should turn hourly, daily and weekly into cron expressions, and lists of parameters into a mapping', () => {
  @schedule({ weekly: true })
  @trigger({ event: 'e', parameters: ['day'] })
  class B extends FlowSpec {}
  assert.deepEqual(flowDecorationsOf(B).schedule, { cron: '0 0 * * 0' });
  assert.deepEqual(flowDecorationsOf(B).trigger?.parameters, { day: 'day' });
});

test('Should record a problem naming the decorator and the flow instead of throwing', () => {
  @schedule({ cron: '0 6 * *' })
  @project({ name: 'Has Spaces' })
  class C extends FlowSpec {}
  const p = flowDecorationsOf(C).problems!;
  assert.match(p['schedule']!, /^@schedule on flow C: cron '0 6 \* \*' is not a valid cron expression: it has 4 fields/);
  assert.match(p['project']!, /^@project on flow C: name must be lowercase letters/);
  assert.equal(flowDecorationsOf(C).schedule, undefined);
});

test('Should refuse two kinds of schedule, unknown options and bad time zones', () => {
  @schedule({ daily: true, cron: '* * * * *' } as never)
  class D extends FlowSpec {}
  assert.match(flowDecorationsOf(D).problems!['schedule']!, /exactly one of cron, hourly, daily, weekly; got cron and daily/);
  @schedule({ hourly: true, timezone: 'Nowhere/City' })
  @triggerOnFinish({ flows: ['bad name'] })
  class E extends FlowSpec {}
  assert.match(flowDecorationsOf(E).problems!['schedule']!, /timezone must be an IANA time zone/);
  assert.match(flowDecorationsOf(E).problems!['triggerOnFinish']!, /"bad name" is not a flow name/);
});

test('Should let a subclass inherit the decorations of its base and override them', () => {
  @project({ name: 'base' })
  class Base extends FlowSpec {}
  class Child extends Base {}
  @project({ name: 'other' })
  class Other extends Base {}
  assert.deepEqual(flowDecorationsOf(Child).project, { name: 'base' });
  assert.deepEqual(flowDecorationsOf(Other).project, { name: 'other' });
  assert.deepEqual(flowDecorationsOf(Base).project, { name: 'base' });
});
