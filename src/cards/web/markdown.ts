/**
 * Markdown to sanitised HTML: `marked` renders, DOMPurify removes anything that could run (script
 * elements, event handler attributes, `javascript:` URLs...). Links open outside the card.
 */
import { marked } from 'marked';
import DOMPurify from 'dompurify';

let hooked = false;

export function markdownToSafeHtml(text: string): string {
  if (!hooked) {
    DOMPurify.addHook('afterSanitizeAttributes', (node) => {
      if (node.tagName === 'A' && node.getAttribute('href')) {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer');
      }
    });
    hooked = true;
  }
  const raw = marked.parse(text, { async: false, gfm: true }) as string;
  return DOMPurify.sanitize(raw, { USE_PROFILES: { html: true }, FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select'] });
}
