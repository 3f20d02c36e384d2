/**
 * A task's cards, each in a sandboxed frame (`sandbox="allow-scripts"`: an opaque origin, so the
 * card can reach neither this page nor the API) whose page is the card file made by the server.
 * While a live card renders, its newer documents are read every second and posted to its frame.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { html, type VNode } from '../../../cards/web/h.js';
import { formatTime } from '../../../cards/web/format.js';
import type { CardDocument } from '../../../cards/document.js';
import type { CardsResponse, CardSummary } from '../../api/task-types.js';
import { getJson } from '../data.js';

const LIVE_POLL_MS = 1000;

function CardFrame({ card, doc }: { card: CardSummary; doc: CardDocument | undefined }): VNode {
  const ref = useRef<HTMLIFrameElement>(null);
  const [height, setHeight] = useState(160);
  const [src, setSrc] = useState(card.frame);
  const ready = useRef(false);
  const latest = useRef(doc);
  latest.current = doc;
  useEffect(() => {
    const onMessage = (e: MessageEvent) => {
      if (!ref.current || e.source !== ref.current.contentWindow) return;
      const m = e.data as { type?: unknown; height?: unknown } | null;
      if (m?.type === 'cairn-card-size' && typeof m.height === 'number' && Number.isFinite(m.height)) setHeight(Math.min(Math.max(Math.ceil(m.height), 40), 20000));
      else if (m?.type === 'cairn-card-ready') {
        ready.current = true;
        if (latest.current) ref.current.contentWindow?.postMessage({ type: 'cairn-card', document: latest.current }, '*');
      } else if (m?.type === 'cairn-card-reload') {
        ready.current = false;
        setSrc(`${card.frame}&v=${Date.now()}`);
      }
    };
    window.addEventListener('message', onMessage);
    return () => window.removeEventListener('message', onMessage);
  }, [card.frame]);
  useEffect(() => {
    // The frame's own page has the document it was made with; only newer ones are posted.
    if (doc && ready.current) ref.current?.contentWindow?.postMessage({ type: 'cairn-card', document: doc }, '*');
  }, [doc?.updatedAt]);
  return html`<iframe ref=${ref} class="card-frame" sandbox="allow-scripts" src=${src} title=${`card ${card.id}`} style=${{ height: `${height}px` }}></iframe>`;
}

export function CardsPanel({ base, attempt, cards, running }: { base: string; attempt: number; cards: CardSummary[]; running: boolean }): VNode | null {
  const [docs, setDocs] = useState<Record<string, CardDocument>>({});
  const [list, setList] = useState(cards);
  const live = running || list.some((c) => c.status === 'rendering');
  useEffect(() => setList(cards), [cards]);
  useEffect(() => {
    if (!live) return undefined;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const r = await getJson<CardsResponse>(`${base}/cards?attempt=${attempt}`);
        if (stopped) return;
        setList(r.cards.map(({ document: _d, ...c }) => c));
        setDocs(Object.fromEntries(r.cards.map((c) => [c.id, c.document])));
        if (!r.finished || r.cards.some((c) => c.status === 'rendering')) timer = setTimeout(poll, LIVE_POLL_MS);
      } catch {
        if (!stopped) timer = setTimeout(poll, LIVE_POLL_MS * 3);
      }
    };
    timer = setTimeout(poll, LIVE_POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [base, attempt, live]);
  if (list.length === 0) return null;
  return html`<section class="panel cards-panel">
    <h2>Cards <span class="count">${list.length}</span></h2>
    ${list.map((c) => html`<div class="card-slot" data-card=${c.id} key=${c.id}>
      <div class="card-slot-head">
        <span class="strong mono">${c.id}</span>
        <span class="muted small">${c.type}</span>
        ${c.status === 'rendering' ? html`<span class="live-pill"><span class="pulse"></span>live</span>` : null}
        ${c.status === 'error' ? html`<span class="badge s-failed">could not render</span>` : null}
        <span class="muted small">updated ${formatTime(docs[c.id]?.updatedAt ?? c.updatedAt)}</span>
        <a class="small" href=${c.frame} target="_blank" rel="noopener">open alone ↗</a>
      </div>
      <${CardFrame} card=${c} doc=${docs[c.id]} />
    </div>`)}
  </section>`;
}
