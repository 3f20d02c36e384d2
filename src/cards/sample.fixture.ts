/** A card document with every kind of component, for tests of the viewer and the HTML files. */
import { heatmapPng } from './png.js';
import { previewValue } from '../storage/preview.js';
import { CARD_DOCUMENT_VERSION, type CardDocument } from './document.js';

export const XSS_TEXT = '<script>window.pwned = 1</script><img src="x" onerror="window.pwned = 2">';

export function sampleCard(extra: Partial<CardDocument> = {}): CardDocument {
  const heat = heatmapPng(Float64Array.from({ length: 64 }, (_, i) => i), 8);
  return {
    version: CARD_DOCUMENT_VERSION,
    id: 'default',
    type: 'default',
    status: 'ready',
    updatedAt: Date.UTC(2026, 0, 1, 10, 0, 0),
    title: 'SampleFlow/1/train/2',
    task: { pathspec: 'SampleFlow/1/train/2', attempt: 0, status: 'succeeded' },
    components: [
      { type: 'markdown', text: `# Report\nSome **bold** text. ${XSS_TEXT} [click](javascript:window.pwned=3) [docs](https://example.com)` },
      { type: 'valueBox', title: 'Accuracy', value: 0.93, theme: 'success', change: { text: '+2%', direction: 'up' } },
      { type: 'progressBar', value: 30, max: 120, label: 'Epochs', unit: 'epochs' },
      {
        type: 'vegaChart',
        spec: {
          width: 'container',
          mark: 'bar',
          data: { values: [{ a: 'A', b: 28 }, { a: 'B', b: 55 }, { a: 'C', b: 43 }] },
          encoding: { x: { field: 'a', type: 'nominal' }, y: { field: 'b', type: 'quantitative' } },
        },
      },
      { type: 'table', headers: ['name', 'value'], rows: [['alpha', 1], [XSS_TEXT, null], ['nested', { type: 'markdown', text: '*inside*' }]] },
      { type: 'image', mime: 'image/png', base64: heat.png.toString('base64'), width: 8, height: 8, pixelated: true, label: 'heat' },
      { type: 'json', data: { a: [1, 2, { b: XSS_TEXT }] } },
      { type: 'artifact', name: 'rows', preview: previewValue([{ x: 1, y: XSS_TEXT }, { x: 2, y: 'two' }]) },
      { type: 'code', code: 'const x = 1; // </script>', language: 'typescript', firstLine: 10 },
      { type: 'error', errorType: 'TypeError', message: XSS_TEXT, stack: 'TypeError: boom\n    at here' },
      {
        type: 'section',
        title: 'Graph',
        components: [
          {
            type: 'dag',
            highlight: 'train',
            steps: [
              { name: 'start', type: 'start', out: ['train', 'check'] },
              { name: 'train', type: 'foreach', out: ['fit'], foreach: 'shards' },
              { name: 'fit', type: 'linear', out: ['join'] },
              { name: 'join', type: 'join', out: ['end'] },
              { name: 'check', type: 'linear', out: ['end'] },
              { name: 'end', type: 'end', out: [] },
            ],
          },
        ],
      },
    ],
    ...extra,
  };
}
