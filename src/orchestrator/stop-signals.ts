/**
 * The signals that stop a run (Ctrl-C, `kill`, a closed terminal), held from the moment the run is
 * recorded until its end is: the first one stops the run, which then ends as failed with its
 * reason; a second one, however soon, only says that the end is being recorded; a third one exits
 * at once (the run then reads as failed (lost) once its heartbeat is old).
 */

/** SIGINT (Ctrl-C), SIGTERM (`kill`), SIGHUP (the terminal closed). */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** What a run prints when a stop signal arrives. */
export function stopReason(signal: StopSignal): string {
  return signal === 'SIGHUP' ? 'the terminal closed (SIGHUP)' : signal === 'SIGTERM' ? 'it was sent SIGTERM' : 'it was interrupted (SIGINT)';
}

export class StopSignals {
  private stop: ((signal: StopSignal) => void) | undefined;
  private received: StopSignal | undefined;
  private count = 0;
  private readonly listener = (signal: NodeJS.Signals): void => this.onSignal(signal as StopSignal);

  constructor(
    private readonly notice: (text: string) => void,
    private readonly exit: (code: number) => void = (code) => process.exit(code),
  ) {
    for (const s of STOP_SIGNALS) process.on(s, this.listener);
  }

  /** The first signal received so far, if any. */
  get signal(): StopSignal | undefined {
    return this.received;
  }

  /** Calls `stop` on the first signal (at once if one came already). */
  onStop(stop: (signal: StopSignal) => void): void {
    this.stop = stop;
    if (this.received) stop(this.received);
  }

  private onSignal(signal: StopSignal): void {
    this.count++;
    if (this.count === 1) {
      this.received = signal;
      this.stop?.(signal);
    } else if (this.count === 2) {
      this.notice(`${signal} again: the run is stopping and recording its end. Send it once more to exit without recording it.`);
    } else {
      this.notice(`${signal} a third time: exiting now; the run will read as failed (lost) once its heartbeat is old.`);
      this.dispose();
      this.exit(128 + (signal === 'SIGHUP' ? 1 : signal === 'SIGINT' ? 2 : 15));
    }
  }

  dispose(): void {
    for (const s of STOP_SIGNALS) process.off(s, this.listener);
  }
}
