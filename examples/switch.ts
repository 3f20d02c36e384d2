// A switch runs one of its cases, chosen by an artifact; the branches meet again at end (which is
// also a case of its own).
//   npx cairn run examples/switch.ts --size big
import { FlowSpec, Parameter, step } from 'cairnflow';

export class SwitchFlow extends FlowSpec {
  size = Parameter('size', { default: 'small', help: 'big, small or none' });
  declare kind: string;
  declare result: string;

  @step start() {
    this.kind = ['big', 'none'].includes(this.size) ? this.size : 'small';
    this.result = 'nothing';
    this.next({ big: this.heavy, small: this.light, none: this.end }, { condition: 'kind' });
  }

  @step heavy() {
    this.result = 'heavy work';
    this.next(this.heavy_check);
  }

  @step heavy_check() {
    this.result = `${this.result}, checked`;
    this.next(this.end);
  }

  @step light() {
    this.result = 'light work';
    this.next(this.end);
  }

  @step end() {
    console.log(`${this.kind}: ${this.result}`);
  }
}

SwitchFlow.main(import.meta);
