// Parameters, an included file and a class constant:
//   npx cairn run examples/parameters.ts --dataset demo --alpha 0.1 --labels 'x,y' --notes README.md
//   CAIRN_RUN_DATASET=demo npx cairn run examples/parameters.ts
//   npx cairn run examples/parameters.ts --help
import { FlowSpec, step, Parameter, IncludeFile, current, type Inputs } from 'cairnflow';

/** Scores each label with a learning rate, then sums the scores. */
export class ParamFlow extends FlowSpec {
  alpha = Parameter('alpha', { default: 0.01, help: 'learning rate' });
  dataset = Parameter<string>('dataset', { required: true, help: 'where the data lives' });
  config = Parameter('config', { type: 'json', default: { depth: 3 } });
  labels = Parameter('labels', { default: 'a,b,c', separator: ',' });
  notes = IncludeFile('notes', { help: 'a text file whose lines are counted' });   // string | undefined
  static readonly MAX_DEPTH = 10;
  declare score: number;
  declare total: number;

  @step start() {
    const depth: number = Math.min(this.config.depth, ParamFlow.MAX_DEPTH);
    console.log(`dataset ${this.dataset}, depth ${depth}, ${this.notes?.split('\n').length ?? 0} lines of notes`);
    console.log(`parameters: ${current.parameterNames.join(', ')}`);
    this.next(this.score_label, { foreach: 'labels' });
  }

  @step score_label() {
    const label: string = this.input;
    this.score = label.length * this.alpha;
    this.next(this.join);
  }

  @step join(inputs: Inputs<ParamFlow>) {
    this.total = [...inputs].reduce((sum, i) => sum + i.score, 0);
    console.log(`total ${this.total} with alpha ${this.alpha}`);   // parameters reach joins too
    this.next(this.end);
  }

  @step end() {}
}

ParamFlow.main(import.meta);
