/** A whole card: its heading, its state (live, failed to render), and its components. */
import type { CardDocument } from '../document.js';
import { html, type VNode } from './h.js';
import { Components, ErrorBox } from './components.js';
import { formatTime } from './format.js';

const STATUS_TEXT: Record<string, string> = { running: 'running', succeeded: 'succeeded', failed: 'failed' };

export function CardView({ doc }: { doc: CardDocument }): VNode {
  const live = doc.status === 'rendering';
  const task = doc.task;
  return html`<article class=${`cc-card type-${doc.type}`} data-status=${doc.status}>
    <header class="cc-header">
      <div class="cc-title-row">
        <h1 class="cc-title">${doc.title}</h1>
        ${task ? html`<span class=${`cc-pill task-${task.status}`}>${STATUS_TEXT[task.status] ?? task.status}</span>` : null}
        ${live ? html`<span class="cc-pill live"><span class="cc-dot"></span>live</span>` : null}
      </div>
      <div class="cc-subtitle">
        <span>card <b>${doc.id}</b></span>
        ${task ? html`<span>attempt ${task.attempt}</span>` : null}
        <span>${live ? 'updated' : 'rendered'} ${formatTime(doc.updatedAt)}</span>
      </div>
    </header>
    ${doc.status === 'error' && doc.error
      ? html`<div class="cc-item"><${ErrorBox} c=${{ type: 'error', title: 'This card could not be rendered in full', errorType: doc.error.type, message: doc.error.message, ...(doc.error.stack ? { stack: doc.error.stack } : {}) }} /></div>`
      : null}
    <${Components} list=${Array.isArray(doc.components) ? doc.components : []} />
    ${(doc.components?.length ?? 0) === 0 && doc.status !== 'error' ? html`<div class="cc-empty">${live ? 'Nothing to show yet.' : 'This card is empty.'}</div>` : null}
  </article>`;
}
