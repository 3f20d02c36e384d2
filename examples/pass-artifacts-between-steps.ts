// Store artifacts across steps: everything a step assigns to `this` is versioned and passed on.
// Run: npx cairn run examples/pass-artifacts-between-steps.ts --run-id-file artifacts-run.txt
import { FlowSpec, step } from 'cairnflow';

export class ArtFlow extends FlowSpec {
  declare some_data: number[];

  @step start() {
    this.some_data = [1, 2, 3]; // define artifact state
    this.next(this.middle);
  }

  @step middle() {
    console.log(`the data artifact is: ${JSON.stringify(this.some_data)}`);
    this.some_data = [1, 2, 4]; // update artifact state
    this.next(this.end);
  }

  @step end() {
    console.log(`the data artifact is: ${JSON.stringify(this.some_data)}`);
  }
}

ArtFlow.main(import.meta);
