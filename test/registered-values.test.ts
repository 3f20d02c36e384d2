import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sharedProject } from './helpers.js';
import { Flow, registerClass } from '../src/index.js';

const project = sharedProject();

// The reader registers a class of the same name, as a script that imports the flow file would.
class Point {
  constructor(public x = 0, public y = 0) {}
  norm(): number {
    return Math.hypot(this.x, this.y);
  }
}
registerClass(Point);

test('registered class instances inside arrays and objects are stored, passed on and read back', async () => {
  const file = project.write('points.ts', `
import { FlowSpec, step, registerClass } from 'cairnflow';
export class Point {
  constructor(public x = 0, public y = 0) {}
  norm() { return Math.hypot(this.x, this.y); }
}
registerClass(Point);
export class PointsFlow extends FlowSpec {
  declare points: Point[];
  declare named: { origin: Point; far: Point; again: Point };
  @step start() {
    this.points = [new Point(3, 4), new Point(6, 8)];
    const far = new Point(6, 8);
    this.named = { origin: new Point(), far, again: far };
    this.next(this.end);
  }
  @step end() {
    console.log(this.points.map((p) => p.norm()).join(','), this.named.far === this.named.again, this.named.origin instanceof Point);
  }
}
`);
  const r = await project.cli(['run', file]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /\] 5,10 true true$/m);
  const run = (await (await Flow.get('PointsFlow')).latestRun())!;
  const points = (await run.data.points) as Point[];
  assert.ok(points.every((p) => p instanceof Point));
  assert.deepEqual(points.map((p) => p.norm()), [5, 10]);
  const artifact = (await (await run.endTask()).artifacts()).find((a) => a.name === 'named')!;
  assert.equal(artifact.type, 'Object');
});

test('an unregistered class inside an artifact fails the task naming the class, the artifact and the fix, and stores nothing', async () => {
  const file = project.write('shapes.ts', `
import { FlowSpec, step } from 'cairnflow';
class Shape { constructor(public sides = 3) {} }
export class ShapesFlow extends FlowSpec {
  declare shapes: Shape[];
  @step start() {
    this.shapes = [new Shape()];
    this.next(this.end);
  }
  @step end() {}
}
`);
  const r = await project.cli(['run', file]);
  assert.equal(r.code, 1, r.stderr + r.stdout);
  assert.match(r.stdout + r.stderr, /Cannot store artifact "shapes" of step "start": shapes\[0\] is an instance of class Shape, whose prototype would be lost\..*registerClass\(Shape\)/);
  const run = (await (await Flow.get('ShapesFlow')).latestRun())!;
  const start = await (await run.step('start')).task();
  assert.equal(start.successful, false);
  assert.deepEqual(await start.artifacts().catch(() => []), []);
});
