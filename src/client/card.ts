/** `Card`: one card of a task attempt, read from the artifact store (`task.cards()`). */
import { parseCardDocument, type CardDocument, type CardError, type CardStatus, type CardType } from '../cards/document.js';
import type { TaskKey } from '../core/types.js';
import { storeCall, type ClientContext } from './context.js';
import { pathOf } from './lookup.js';

export class Card {
  /** The card's id: the `id` given to `@card`, else its type (`default`, `blank`). */
  readonly id: string;
  readonly type: CardType;
  /** `ready`, `rendering` (a live card whose task still runs) or `error` (see `error`). */
  readonly status: CardStatus;
  /** Why the card could not be rendered, when `status` is `error`. */
  readonly error: CardError | undefined;
  /** When the document was last written. */
  readonly updatedAt: Date;
  /** `Flow/run/step/task` of the task whose card this is (the origin task, for a task cloned by resume). */
  readonly taskPathspec: string;
  /** The attempt the card belongs to. */
  readonly attempt: number;
  readonly #doc: CardDocument;

  /** Built by `Task.cards()`; not meant to be called directly. */
  constructor(doc: CardDocument, task: TaskKey, attempt: number) {
    this.#doc = doc;
    this.id = doc.id;
    this.type = doc.type;
    this.status = doc.status;
    this.error = doc.error;
    this.updatedAt = new Date(doc.updatedAt);
    this.taskPathspec = pathOf(task);
    this.attempt = attempt;
  }

  /** The card document (plain JSON: its components), as the viewer renders it. */
  async data(): Promise<CardDocument> {
    return structuredClone(this.#doc);
  }

  /**
   * The card as one self-contained HTML file: the viewer and the document inlined, nothing fetched
   * when it is opened, a strict Content-Security-Policy.
   */
  async html(): Promise<string> {
    const { cardFileHtml } = await import('../cards/html.js');
    return cardFileHtml(this.#doc);
  }

  toString(): string {
    return `Card('${this.taskPathspec}', '${this.id}')`;
  }
}

/** Every card stored for one task attempt, sorted by id. */
export async function readCards(ctx: ClientContext, task: TaskKey, attempt: number): Promise<Card[]> {
  const ps = pathOf(task);
  const ids = await storeCall(`the cards of ${ps}`, () => ctx.artifacts.listCards(task, attempt));
  const docs = await Promise.all(
    ids.map(async (id) => {
      const bytes = await storeCall(`card ${id} of ${ps}`, () => ctx.artifacts.getCard(task, attempt, id));
      return bytes && parseCardDocument(bytes, `${id} of ${ps} (attempt ${attempt})`);
    }),
  );
  return docs.filter((d): d is CardDocument => d !== undefined).map((d) => new Card(d, task, attempt));
}
