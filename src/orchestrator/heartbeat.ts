/**
 * The orchestrator's heartbeat: while a run executes, its row gets a fresh `heartbeat_at` every
 * interval, so that readers can tell a run whose orchestrator died (see `core/liveness.ts`). A beat
 * that cannot be written is said once (and once more when beats work again); it never stops the run.
 */
import type { MetadataStore } from '../storage/types.js';

export class Heartbeat {
  private readonly timer: NodeJS.Timeout;
  private writing = false;
  private failing = false;

  constructor(
    private readonly metadata: MetadataStore,
    private readonly run: { flow: string; runId: string },
    intervalMs: number,
    private readonly notice: (text: string) => void,
  ) {
    this.timer = setInterval(() => this.beat(), intervalMs);
    this.timer.unref();
  }

  private beat(): void {
    // A beat still waiting for the store (a locked database) is not doubled up.
    if (this.writing) return;
    this.writing = true;
    this.metadata.heartbeat(this.run.flow, this.run.runId).then(
      () => {
        this.writing = false;
        if (this.failing) this.notice('The run\'s heartbeat is recorded again.');
        this.failing = false;
      },
      (e: unknown) => {
        this.writing = false;
        if (!this.failing) {
          this.notice(
            `Cannot record the run's heartbeat: ${(e as Error)?.message ?? String(e)} ` +
              'While this lasts, readers of the store will soon see the run as lost.',
          );
        }
        this.failing = true;
      },
    );
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
