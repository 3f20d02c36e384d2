import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { cardFileHtml, hasChart, viewerAssets } from './html.js';
import { sampleCard, XSS_TEXT } from './sample.fixture.js';

function scripts(page: string): string[] {
  return [...page.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
}

test('A card file inlines the viewer and the document, and its CSP allows exactly those scripts', () => {
  const page = cardFileHtml(sampleCard());
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(page)?.[1];
  assert.ok(csp, 'the page has a CSP');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /img-src data:/);
  assert.doesNotMatch(csp, /unsafe-eval|unsafe-inline'?;? *script/);
  const inline = scripts(page);
  assert.equal(inline.length, 2, 'the chart renderer and the viewer');
  for (const s of inline) assert.ok(csp.includes(`sha256-${createHash('sha256').update(s).digest('base64')}`));
  assert.doesNotMatch(page, /<script src=|<link /, 'nothing is loaded from elsewhere');
});

test('The chart renderer is inlined only for a card that holds a chart', () => {
  const noChart = sampleCard({ components: [{ type: 'markdown', text: 'hi' }] });
  assert.equal(hasChart(noChart.components), false);
  assert.equal(scripts(cardFileHtml(noChart)).length, 1);
  assert.ok(cardFileHtml(noChart).length < viewerAssets().vega.length, 'much smaller without it');
  const nested = sampleCard({ components: [{ type: 'section', title: 's', components: [{ type: 'vegaChart', spec: {} }] }] });
  assert.equal(hasChart(nested.components), true);
  assert.equal(scripts(cardFileHtml(noChart, { charts: true })).length, 2);
});

test('Text in the document cannot close its script element or inject markup into the page', () => {
  const doc = sampleCard({ title: `</title>${XSS_TEXT}`, components: [{ type: 'markdown', text: '</script><script>window.pwned=1</script>' }] });
  const page = cardFileHtml(doc);
  const data = /<script type="application\/json" id="cairn-card-data">([\s\S]*?)<\/script>/.exec(page)?.[1];
  assert.ok(data);
  assert.doesNotMatch(data, /</, 'no "<" inside the data block');
  assert.deepEqual(JSON.parse(data), doc, 'the document reads back unchanged');
  assert.match(page, /<title>&lt;\/title&gt;&lt;script&gt;/);
  assert.equal((page.match(/<script/g) ?? []).length, 2, 'the data block and the viewer only');
});

test('A card for a frame listens to the window that embeds it', () => {
  assert.match(cardFileHtml(sampleCard(), { listen: true }), /<body data-cairn-listen>/);
  assert.match(cardFileHtml(sampleCard()), /<body>/);
});
