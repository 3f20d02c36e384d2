/**
 * The cards of one running task: what `current.card` is while the step runs (components added,
 * live refreshes written at most once per `refreshInterval`), and drawing every card after the
 * step, succeeded or failed. A card never fails its task: a component that cannot be drawn becomes
 * an error in its place, a card that takes longer than its `timeout` is written with what could be
 * drawn and the timeout recorded, and a card that cannot be stored is reported on stderr.
 */
import type { CardHandle, CardRenderable, CurrentCard } from '../authoring/card-access.js';
import type { CardSpec } from '../authoring/decorators.js';
import { taskPathspec, type TaskKey } from '../core/types.js';
import type { ArtifactStore } from '../storage/types.js';
import { CARD_DOCUMENT_VERSION, serializeCardDocument, type CardComponent, type CardDocument, type CardError } from './document.js';
import { renderComponent } from './components.js';
import { defaultCardParts, failureComponent, type DefaultCardInput } from './default-card.js';

export interface CardSessionOptions {
  store: ArtifactStore;
  task: TaskKey;
  attempt: number;
  specs: readonly CardSpec[];
  /** Where warnings go (the task's stderr). */
  warn?: (message: string) => void;
  /** The clock, for tests. */
  now?: () => number;
}

/** What drawing the cards after the step needs: the default card's inputs (without the deadline). */
export type CardFinish = Omit<DefaultCardInput, 'deadline'>;

class LiveCard implements CardHandle {
  components: CardRenderable[] = [];
  /** The components' JSON as last written, to skip writes that change nothing. */
  lastJson: string | undefined;
  /** When the components were last drawn for a live write (written or found unchanged). */
  lastWrite = 0;
  timer: NodeJS.Timeout | undefined;
  constructor(readonly spec: CardSpec, private readonly session: CardSession) {}
  get id(): string {
    return this.spec.id;
  }
  append(component: CardRenderable): this {
    this.components.push(component);
    return this;
  }
  extend(components: Iterable<CardRenderable>): this {
    for (const c of components) this.components.push(c);
    return this;
  }
  clear(): this {
    this.components = [];
    return this;
  }
  refresh(): void {
    this.session.refreshCard(this);
  }
}

/** A card that keeps nothing: what `current.card` acts on when the step has no card to act on. */
class NoCard implements CardHandle {
  readonly components: readonly CardRenderable[] = [];
  constructor(readonly id: string, private readonly warn: () => void) {}
  append(): this {
    this.warn();
    return this;
  }
  extend(): this {
    this.warn();
    return this;
  }
  clear(): this {
    return this;
  }
  refresh(): void {}
}

export class CardSession implements CurrentCard {
  private readonly cards: LiveCard[];
  private readonly editable: CardHandle;
  private writes: Promise<void> = Promise.resolve();
  private finished = false;
  private readonly warned = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly o: CardSessionOptions) {
    this.now = o.now ?? Date.now;
    this.cards = o.specs.map((s) => new LiveCard(s, this));
    const target = this.cards.length === 1 ? this.cards[0] : this.cards.find((c) => c.spec.id === c.spec.type);
    this.editable =
      target ??
      new NoCard('', () =>
        this.warnOnce(
          this.cards.length === 0
            ? `Step ${o.task.step} has no @card, so the components it adds to current.card are not shown. Add @card to the step.`
            : `Step ${o.task.step} has several cards (${this.ids.join(', ')}) and none without an id, so current.card does not know which to add to: use current.card.get('${this.cards[0]!.id}').`,
        ),
      );
  }

  /** The cards were drawn after the step (`finish` was called). */
  get done(): boolean {
    return this.finished;
  }

  get ids(): string[] {
    return this.cards.map((c) => c.id);
  }
  get id(): string {
    return this.editable.id;
  }
  get components(): readonly CardRenderable[] {
    return this.editable.components;
  }
  append(component: CardRenderable): this {
    this.editable.append(component);
    return this;
  }
  extend(components: Iterable<CardRenderable>): this {
    this.editable.extend(components);
    return this;
  }
  clear(): this {
    this.editable.clear();
    return this;
  }
  /** Refreshes every card of the step. */
  refresh(): void {
    for (const c of this.cards) c.refresh();
  }
  get(id: string): CardHandle {
    const card = this.cards.find((c) => c.id === id);
    if (card) return card;
    return new NoCard(id, () =>
      this.warnOnce(`Step ${this.o.task.step} has no card with the id '${id}'${this.cards.length ? ` (its cards: ${this.ids.join(', ')})` : ''}; what is added to it is not shown.`),
    );
  }

  private warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    (this.o.warn ?? ((m: string) => process.stderr.write(`cairn: ${m}\n`)))(message);
  }

  /** Writes a live card now, or at the end of its refresh interval; nothing when it did not change. */
  refreshCard(card: LiveCard): void {
    if (this.finished || card.timer) return;
    const wait = card.lastWrite + card.spec.refreshInterval * 1000 - this.now();
    if (wait > 0) {
      card.timer = setTimeout(() => {
        card.timer = undefined;
        this.writeLive(card);
      }, wait);
      card.timer.unref?.();
      return;
    }
    this.writeLive(card);
  }

  private writeLive(card: LiveCard): void {
    if (this.finished) return;
    // The interval counts from the last look, written or not, so a step that calls refresh() in a
    // tight loop draws its components at most once per interval.
    card.lastWrite = this.now();
    const components = card.components.map((c) => renderComponent(c).component);
    const json = JSON.stringify(components);
    if (json === card.lastJson) return;
    card.lastJson = json;
    this.write(this.documentOf(card, components, 'rendering', 'running'));
  }

  private documentOf(card: LiveCard, components: CardComponent[], status: CardDocument['status'], taskStatus: CardDocument['task']['status'], error?: CardError): CardDocument {
    const pathspec = taskPathspec(this.o.task);
    return {
      version: CARD_DOCUMENT_VERSION,
      id: card.id,
      type: card.spec.type,
      status,
      ...(error ? { error } : {}),
      updatedAt: this.now(),
      title: pathspec,
      task: { pathspec, attempt: this.o.attempt, status: taskStatus },
      refreshInterval: Math.round(card.spec.refreshInterval * 1000),
      components,
    };
  }

  private write(doc: CardDocument): void {
    const bytes = serializeCardDocument(doc);
    this.writes = this.writes
      .then(() => this.o.store.putCard(this.o.task, this.o.attempt, doc.id, bytes))
      .catch((e: unknown) => this.warnOnce(`card ${doc.id} of ${doc.task.pathspec} could not be stored: ${(e as Error)?.message ?? e}`));
  }

  /**
   * Draws and stores every card after the step (`input` says how it ended); resolves when they are
   * stored. Never rejects.
   */
  async finish(input: CardFinish): Promise<void> {
    this.finished = true;
    for (const c of this.cards) if (c.timer) clearTimeout(c.timer);
    await Promise.all(this.cards.map((c) => this.finishCard(c, input)));
    await this.writes;
  }

  private async finishCard(card: LiveCard, input: CardFinish): Promise<void> {
    const taskStatus = input.status;
    const timeoutMs = card.spec.timeout * 1000;
    const started = this.now();
    const user: CardComponent[] = [];
    let error: CardError | undefined;
    for (const c of card.components) {
      const r = renderComponent(c);
      user.push(r.component);
      if (r.error && !error) error = { type: r.error.name, message: `a component could not be drawn: ${r.error.message}`, ...(r.error.stack ? { stack: r.error.stack } : {}) };
    }
    let parts: CardComponent[] = [];
    if (card.spec.type !== 'default' && input.status === 'failed' && input.failure && user.length === 0) {
      // A blank card that got nothing before its task failed shows why, where its components would be.
      parts = [failureComponent(input.failure)];
    }
    if (card.spec.type === 'default') {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), Math.max(0, timeoutMs - (this.now() - started)));
      });
      try {
        const r = await Promise.race([defaultCardParts({ ...input, deadline: started + timeoutMs }), timedOut]);
        if (r === 'timeout') error = { type: 'CardTimeout', message: `Card ${card.id} took longer than its timeout of ${card.spec.timeout} s to draw; it shows what was ready. Give it more time with @card({ timeout: ... }).` };
        else parts = r;
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        error = { type: err.name, message: `the default card could not be drawn: ${err.message}`, ...(err.stack ? { stack: err.stack } : {}) };
      } finally {
        clearTimeout(timer);
      }
    }
    this.write(this.documentOf(card, [...user, ...parts], error ? 'error' : 'ready', taskStatus, error));
  }
}
