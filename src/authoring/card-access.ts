/**
 * `current.card`: what a step uses to add components to its cards. The runtime installs the real
 * object around each task (`setCurrentCard`); the components themselves (`Markdown`, `Table`, ...)
 * live with the cards, which authoring does not import: here a component is anything with a
 * `render()` method.
 */
import { CairnError } from '../errors.js';

/** A card component: `render()` gives its JSON for the card document (the components of `cairnflow` all have one). */
export interface CardRenderable {
  render(): unknown;
}

/** One card of the running step. */
export interface CardHandle {
  /** The card's id (`@card({ id })`, else its type). */
  readonly id: string;
  /** The components added so far. */
  readonly components: readonly CardRenderable[];
  /** Adds a component at the end of the card. */
  append(component: CardRenderable): this;
  /** Adds components at the end of the card, in order. */
  extend(components: Iterable<CardRenderable>): this;
  /** Removes every component added so far. */
  clear(): this;
  /**
   * Writes the card now, while the task runs, so that viewers show it live (the card's
   * `refreshInterval` limits how often; a call within it is written at the end of the interval).
   * Nothing is written when nothing changed since the last write.
   */
  refresh(): void;
}

/**
 * `current.card`: `append`, `extend`, `clear` and `components` act on the step's editable card
 * (the step's only card, or the one whose id is its type when it has several); `get(id)` gives
 * any card of the step; `refresh()` refreshes every card of the step.
 */
export interface CurrentCard extends CardHandle {
  /** The card with this id; an unknown id prints a warning and gives a card that keeps nothing. */
  get(id: string): CardHandle;
  /** The ids of the step's cards, in source order (empty for a step without `@card`). */
  readonly ids: readonly string[];
}

let installed: CurrentCard | undefined;

/** Called by the task runtime around each task. */
export function setCurrentCard(next: CurrentCard | undefined): void {
  installed = next;
}

/** The running step's cards; outside a task, an error that says where it can be used. */
export function currentCard(): CurrentCard {
  if (!installed) {
    throw new CairnError('INVALID_ARGUMENT', 'current.card can only be used inside a step while cairn runs the flow (run it with `cairn run <file>`).');
  }
  return installed;
}
