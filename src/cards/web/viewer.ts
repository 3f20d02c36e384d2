/**
 * The card viewer (`dist/cards/viewer.js`, with `viewer.css`): renders a card document.
 *
 * - A page that holds the document in `<script type="application/json" id="cairn-card-data">` and
 *   an element `#cairn-card` is rendered when the viewer loads (the HTML files `cairn card get`
 *   writes).
 * - With `data-cairn-listen` on `<body>` (a card shown in a frame of the web UI), the viewer also
 *   takes documents posted by the parent window, `{ type: 'cairn-card', document }`, and updates
 *   the card in place; it posts `{ type: 'cairn-card-ready' }` once loaded and
 *   `{ type: 'cairn-card-size', height }` when its height changes.
 * - `window.cairnCards.mount(element, document)` renders a document anywhere and returns
 *   `{ update(document) }`.
 */
import { render } from 'preact';
import type { CardDocument } from '../document.js';
import { html } from './h.js';
import { CardView } from './card-view.js';
import './viewer.css';

export interface MountedCard {
  update(doc: CardDocument): void;
}

function mount(element: HTMLElement, doc: CardDocument): MountedCard {
  const draw = (d: CardDocument) => render(html`<${CardView} doc=${d} />`, element);
  draw(doc);
  return { update: draw };
}

declare global {
  interface Window {
    cairnCards?: { mount: typeof mount };
  }
}

window.cairnCards = { mount };

function readEmbedded(): CardDocument | undefined {
  const el = document.getElementById('cairn-card-data');
  if (!el?.textContent) return undefined;
  return JSON.parse(el.textContent) as CardDocument;
}

function boot(): void {
  const root = document.getElementById('cairn-card');
  if (!root) return;
  let card: MountedCard | undefined;
  const show = (doc: CardDocument) => {
    if (card) card.update(doc);
    else card = mount(root, doc);
  };
  try {
    const doc = readEmbedded();
    if (doc) show(doc);
  } catch (e) {
    root.textContent = `This card could not be read: ${(e as Error).message}`;
  }
  if (!document.body.hasAttribute('data-cairn-listen') || window.parent === window) return;
  window.addEventListener('message', (event) => {
    if (event.source !== window.parent) return;
    const msg = event.data as { type?: unknown; document?: CardDocument } | null;
    if (msg?.type === 'cairn-card' && msg.document && typeof msg.document === 'object') show(msg.document);
  });
  let last = -1;
  const report = () => {
    const height = Math.ceil(document.documentElement.scrollHeight);
    if (height !== last) {
      last = height;
      window.parent.postMessage({ type: 'cairn-card-size', height }, '*');
    }
  };
  new ResizeObserver(report).observe(document.body);
  window.parent.postMessage({ type: 'cairn-card-ready' }, '*');
  report();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
