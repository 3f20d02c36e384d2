// A foreach fans out one task per element; the join sees the results in split order.
import { FlowSpec, step, type Inputs } from 'cairnflow';

export class ForeachFlow extends FlowSpec {
  declare shards: string[];
  declare shard: string;
  declare length: number;
  declare lengths: number[];
  declare total: number;

  @step start() {
    this.shards = ['alpha', 'beta', 'gamma', 'delta'];
    this.next(this.measure, { foreach: 'shards' });
  }

  @step async measure() {
    this.shard = this.input;
    await new Promise((r) => setTimeout(r, 10)); // steps may be async
    this.length = this.shard.length;
    console.log(`shard ${this.index}: ${this.shard} has ${this.length} letters`);
    this.next(this.join);
  }

  @step join(inputs: Inputs<ForeachFlow>) {
    this.lengths = inputs.map((i) => i.length);
    this.total = this.lengths.reduce((a, b) => a + b, 0);
    this.next(this.end);
  }

  @step end() {
    console.log(`lengths ${JSON.stringify(this.lengths)}, total ${this.total}`);
  }
}

ForeachFlow.main(import.meta);
