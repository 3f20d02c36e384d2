// Cards: a report each task draws. `train` has a default card (your components, then the task's
// metadata, parameters, artifacts, the graph and the step's source) and a live card that shows its
// progress while it runs. View them with `cairn card view examples/cards.ts RUN/train/2 --id ...`.
import { FlowSpec, step, card, current, Parameter, Markdown, Table, VegaChart, ValueBox, ProgressBar, Image } from 'cairnflow';

export class CardFlow extends FlowSpec {
  epochs = Parameter('epochs', { default: 20, type: 'int', help: 'how many epochs to train' });
  declare data: Array<{ x: number; y: number }>;
  declare history: Array<{ epoch: number; loss: number }>;
  declare weights: Float64Array;
  declare accuracy: number;

  @step start() {
    this.data = Array.from({ length: 50 }, (_, i) => ({ x: i, y: 2 * i + Math.sin(i) * 5 }));
    this.next(this.train);
  }

  /** Fits a line to the data, one epoch at a time. */
  @card
  @card({ type: 'blank', id: 'progress', refreshInterval: 0.5 })
  @step async train() {
    const bar = new ProgressBar({ max: this.epochs, label: 'Epochs' });
    current.card.get('progress').append(bar);
    this.history = [];
    let w = 0;
    for (let epoch = 1; epoch <= this.epochs; epoch++) {
      const grad = this.data.reduce((g, p) => g + (w * p.x - p.y) * p.x, 0) / this.data.length;
      w -= 0.0005 * grad;
      const loss = this.data.reduce((l, p) => l + (w * p.x - p.y) ** 2, 0) / this.data.length;
      this.history.push({ epoch, loss: Math.round(loss * 100) / 100 });
      bar.update(epoch, `loss ${loss.toFixed(2)}`);
      current.card.refresh();
      await new Promise((r) => setTimeout(r, 20));
    }
    this.weights = Float64Array.from({ length: 64 }, (_, i) => Math.sin(i / 4) * Math.cos(i / 9) * w);
    this.accuracy = Math.round((1 - this.history.at(-1)!.loss / this.history[0]!.loss) * 1000) / 1000;

    current.card.append(new Markdown(`# Training report\nFitted **w = ${w.toFixed(3)}** in ${this.epochs} epochs.`));
    current.card.extend([
      new ValueBox({ title: 'Accuracy', value: this.accuracy, theme: 'success', change: { text: 'vs. epoch 1', direction: 'up' } }),
      new ValueBox({ title: 'Final loss', value: this.history.at(-1)!.loss }),
    ]);
    current.card.append(
      new VegaChart({
        width: 'container',
        height: 180,
        mark: { type: 'line', point: true },
        data: { values: this.history },
        encoding: { x: { field: 'epoch', type: 'quantitative' }, y: { field: 'loss', type: 'quantitative', scale: { type: 'log' } } },
      }),
    );
    current.card.append(new Table(this.history.slice(-5), { title: 'Last epochs' }));
    current.card.append(new Image(this.weights, { width: 8, label: 'weights' }));
    this.next(this.end);
  }

  @step end() {
    console.log(`accuracy ${this.accuracy}`);
  }
}

CardFlow.main(import.meta);
