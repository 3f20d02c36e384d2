// A static branch runs two steps side by side; the join merges what they agree on.
import { FlowSpec, step, type Inputs } from 'cairnflow';

export class BranchFlow extends FlowSpec {
  declare config: { rows: number };
  declare features: string[];
  declare model: string;
  declare report: string;

  @step start() {
    this.config = { rows: 1000 };
    this.next(this.features_step, this.model_step);
  }

  @step features_step() {
    this.features = ['age', 'income'];
    this.next(this.join);
  }

  @step model_step() {
    this.model = `linear(${this.config.rows} rows)`;
    this.next(this.join);
  }

  @step join(inputs: Inputs<BranchFlow>) {
    this.mergeArtifacts(inputs); // config (same on both), features and model (one branch each)
    this.report = `${this.model} on ${this.features.join(', ')}`;
    this.next(this.end);
  }

  @step end() {
    console.log(this.report);
  }
}

BranchFlow.main(import.meta);
