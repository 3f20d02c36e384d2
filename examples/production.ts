// A flow ready for production: a project, a schedule, triggers, and step decorators that the
// Argo Workflows templates carry (see docs/production.md):
//   npx cairn argo-workflows create examples/production.ts --production --image registry.example.com/ml/flows:1.0.0
import { FlowSpec, Parameter, environment, project, resources, retry, schedule, step, timeout, trigger, triggerOnFinish } from 'cairnflow';

/** Scores the day's transactions. */
@project({ name: 'fraud' })
@schedule({ cron: '0 6 * * MON-FRI', timezone: 'Europe/Paris' })
@trigger({ event: 'transactions_ready', parameters: { day: 'date' } })
@triggerOnFinish({ flow: 'ForeachFlow' })
export class ScoreFlow extends FlowSpec {
  day = Parameter('day', { default: 'today', help: 'which day to score' });
  threshold = Parameter('threshold', { default: 0.5 });
  declare scores: number[];
  declare flagged: number;

  @retry({ times: 2, minutesBetweenRetries: 1 })
  @timeout({ minutes: 10 })
  @step start() {
    this.scores = [0.1, 0.7, 0.4, 0.9];
    this.next(this.score);
  }

  @resources({ cpu: 2, memory: 8192 })
  @environment({ vars: { MODEL: 'gbm-v3' } })
  @step score() {
    this.flagged = this.scores.filter((s) => s > this.threshold).length;
    this.next(this.end);
  }

  @step end() {
    console.log(`${this.day}: ${this.flagged} flagged by ${process.env['MODEL'] ?? 'no model'}`);
  }
}

ScoreFlow.main(import.meta);
