import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildGraph, parseFlowSource } from '../graph/index.js';
import { parseDecoratorSpec, parseDecoratorSpecs, stepDecorators } from './decorator-specs.js';

const fails = (spec: string, pattern: RegExp) =>
  assert.throws(() => parseDecoratorSpec(spec), (e: Error & { code?: string }) => e.code === 'INVALID_ARGUMENT' && pattern.test(e.message) && e.message.startsWith(`--with ${spec}: `));

describe('parseDecoratorSpec', () => {
  it('reads a bare name, and name:key=value,key=value with values of each option kind', () => {
    assert.deepEqual(parseDecoratorSpec('retry').options, { times: 3, minutesBetweenRetries: 0 });
    assert.deepEqual(parseDecoratorSpec('retry:times=1,minutes_between_retries=0.5').options, { times: 1, minutesBetweenRetries: 0.5 });
    assert.deepEqual(parseDecoratorSpec('timeout:seconds=60').options, { seconds: 60 });
    assert.deepEqual(parseDecoratorSpec('timeout:minutes=1,seconds=30').options, { seconds: 90 });
    assert.deepEqual(parseDecoratorSpec("catch:var=failure,print_exception=False").options, { var: 'failure', printException: false });
    assert.equal(parseDecoratorSpec('catch').name, 'catchError');
    assert.deepEqual(parseDecoratorSpec('catchError:var="oops"').options, { var: 'oops', printException: true });
    assert.deepEqual(parseDecoratorSpec('environment:vars={"A":"1","B":"x,y"}').options, { vars: { A: '1', B: 'x,y' } });
    assert.deepEqual(parseDecoratorSpec('resources:cpu=2,memory=4096').options, { cpu: 2, memory: 4096, gpu: undefined });
  });

  it('says what is wrong with a bad spec, and how to write it', () => {
    fails('retrys', /there is no step decorator named retrys\. The step decorators are: retry, catchError, timeout, environment, resources, card, cache\./);
    fails('', /give a decorator name/);
    fails('retry:', /give options after the colon/);
    fails('retry:times', /"times" is not key=value\. Write options as retry:key=value,key=value\./);
    fails('retry:time=2', /unknown option 'time'\. The options of retry are: times, minutesBetweenRetries\./);
    fails('retry:times=lots', /times takes a number; got "lots"\./);
    fails('retry:times=2.5', /times must be a whole number from 0 to 4; got 2\.5\./);
    fails('retry:times=1,times=2', /times is given twice/);
    fails('timeout', /timeout needs options: write --with timeout:seconds=60\./);
    fails('timeout:seconds=0', /give a positive duration/);
    fails('environment', /write --with environment:vars=\{"NAME":"value"\}/);
    fails('environment:vars={A:1}', /vars takes JSON/);
    fails('catch:print_exception=maybe', /printException takes true or false/);
  });

  it('refuses a decorator given twice', () => {
    assert.throws(() => parseDecoratorSpecs(['retry', 'retry:times=1']), /--with retry:times=1: retry is also given as --with retry\. Give each decorator once\./);
  });
});

describe('stepDecorators', () => {
  const graph = (body: string) => buildGraph(parseFlowSource(`class F {\n${body}\n}`, 'f.ts', 'F'));
  const linear = graph(`  @step start() { this.next(this.end); }\n  @step end() {}`);

  it('adds the --with decorators to every step; a step keeps its own options', () => {
    const own = new Map<string, Record<string, Record<string, unknown>>>([['start', { step: {}, retry: { times: 1, minutesBetweenRetries: 0 } }], ['end', { step: {} }]]);
    const out = stepDecorators(linear, own, parseDecoratorSpecs(['retry', 'timeout:seconds=60']));
    assert.deepEqual(out.get('start'), { step: {}, retry: { times: 1, minutesBetweenRetries: 0 }, timeout: { seconds: 60 } });
    assert.deepEqual(out.get('end'), { step: {}, retry: { times: 3, minutesBetweenRetries: 0 }, timeout: { seconds: 60 } });
  });

  it('refuses --with catchError when a foreach or switch step cannot have it', () => {
    const g = graph(`  @step start() { this.xs = [1]; this.next(this.each, { foreach: 'xs' }); }\n  @step each() { this.next(this.join); }\n  @step join(inputs) { this.next(this.end); }\n  @step end() {}`);
    assert.throws(() => stepDecorators(g, new Map(), parseDecoratorSpecs(['catch'])), /--with catch: start \(a foreach\) cannot have @catchError/);
  });
});
