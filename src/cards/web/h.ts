/** The view layer of the card viewer: Preact with htm's tagged templates (no JSX compiler). */
export { html } from 'htm/preact';
export type { VNode } from 'preact';
