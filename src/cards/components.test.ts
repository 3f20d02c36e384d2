import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Artifact, Code, ErrorComponent, Image, JSONViewer, Markdown, ProgressBar, Table, ValueBox, VegaChart, renderComponent } from './components.js';
import { encodePng } from './png.js';

describe('card components', () => {
  test('Markdown keeps its text (the viewer sanitises it) and update() replaces it', () => {
    const m = new Markdown('# Hi <script>x</script>');
    assert.deepEqual(m.render(), { type: 'markdown', text: '# Hi <script>x</script>' });
    assert.equal(m.update('two').render().text, 'two');
  });

  test('Table takes rows with headers, records, columns and data frames; cells may be components', () => {
    assert.deepEqual(new Table([[1, 'a'], [2, null]], { headers: ['n', 's'] }).render(), { type: 'table', headers: ['n', 's'], rows: [[1, 'a'], [2, null]] });
    const records = new Table([{ x: 1, y: new Date(0) }, { x: 2, z: 3n }]).render();
    assert.deepEqual(records.headers, ['x', 'y', 'z']);
    assert.deepEqual(records.rows, [[1, '1970-01-01T00:00:00.000Z', null], [2, null, '3']]);
    assert.deepEqual(new Table({ a: [1, 2], b: Float32Array.from([0.5, 1.5]) }).render().rows, [[1, 0.5], [2, 1.5]]);
    // danfo.js shape, Arquero shape, Apache Arrow shape.
    assert.deepEqual(new Table({ columns: ['p', 'q'], values: [[1, 2]] } as object).render(), { type: 'table', headers: ['p', 'q'], rows: [[1, 2]] });
    const arquero = { columnNames: () => ['k'], objects: () => [{ k: 'v' }] };
    assert.deepEqual(Table.fromDataFrame(arquero).render().rows, [['v']]);
    const arrow = { numRows: 1, toArray: () => [{ toJSON: () => ({ c: 7 }) }] };
    assert.deepEqual(Table.fromDataFrame(arrow).render().rows, [[7]]);
    const nested = new Table([[new Markdown('*x*'), NaN]]).render();
    assert.deepEqual(nested.rows[0], [{ type: 'markdown', text: '*x*' }, 'NaN']);
    const big = new Table(Array.from({ length: 30 }, (_, i) => [i]), { maxRows: 10 }).render();
    assert.equal(big.rows.length, 10);
    assert.equal(big.rowCount, 30);
    assert.equal(big.truncated, true);
    assert.throws(() => new Table({ a: [1], b: [1, 2] }).render(), /same length/);
    assert.throws(() => new Table(new Map() as object).render(), /not a table/);
  });

  test('Image knows PNG, JPEG and SVG bytes, refuses other bytes, and draws a typed array as a heatmap', () => {
    const png = encodePng(1, 1, new Uint8Array([255, 0, 0]));
    assert.equal(new Image(png).render().mime, 'image/png');
    assert.equal(new Image(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])).render().mime, 'image/jpeg');
    const svg = new Image('<svg xmlns="http://www.w3.org/2000/svg"></svg>', { label: 's' }).render();
    assert.equal(svg.mime, 'image/svg+xml');
    assert.equal(Buffer.from(svg.base64, 'base64').toString(), '<svg xmlns="http://www.w3.org/2000/svg"></svg>');
    assert.equal(new Image(Buffer.from('<?xml version="1.0"?><svg/>')).render().mime, 'image/svg+xml');
    assert.throws(() => new Image(new Uint8Array([1, 2, 3])).render(), /not a PNG, JPEG, GIF or SVG image.*typed array/);
    const heat = new Image(Float64Array.from({ length: 12 }, (_, i) => i), { width: 4 }).render();
    assert.equal(heat.mime, 'image/png');
    assert.deepEqual([heat.width, heat.height, heat.pixelated], [4, 3, true]);
    assert.match(heat.label!, /4×3, 0 to 11/);
    assert.deepEqual(Buffer.from(heat.base64, 'base64').subarray(0, 4), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    assert.equal(Image.heatmap([1, 2, 3, 4]).render().width, 2);
  });

  test('VegaChart needs a JSON spec: a circular one is an error, Dates become text', () => {
    const spec = { mark: 'line', data: { values: [{ t: new Date(0), v: 1 }] } };
    assert.deepEqual(new VegaChart(spec).render().spec, { mark: 'line', data: { values: [{ t: '1970-01-01T00:00:00.000Z', v: 1 }] } });
    const circular: Record<string, unknown> = { mark: 'bar' };
    circular['self'] = circular;
    assert.throws(() => new VegaChart(circular).render(), /VegaChart spec holds a circular reference/);
  });

  test('ProgressBar and ValueBox update in place and check their values', () => {
    const bar = new ProgressBar({ max: 10, label: 'epochs' });
    assert.equal(bar.render().value, 0);
    bar.update(4, 'loss 0.2');
    assert.deepEqual(bar.render(), { type: 'progressBar', value: 4, max: 10, label: 'epochs', details: 'loss 0.2' });
    assert.throws(() => new ProgressBar({ max: 0 }).render(), /max must be a positive number/);
    const box = new ValueBox({ title: 'Acc', value: 0.9 });
    assert.deepEqual(box.update({ value: 0.95, theme: 'success' }).render(), { type: 'valueBox', title: 'Acc', value: 0.95, theme: 'success' });
    assert.throws(() => new ValueBox({ title: 't', value: 1, theme: 'pink' as 'success' }).render(), /theme must be/);
  });

  test('JSONViewer, Artifact, Code and Error serialise to their document components', () => {
    const data = { m: new Map([['k', new Set([1n])]]), f: () => 1, u: undefined };
    assert.deepEqual(new JSONViewer(data, { collapsed: true }).render(), { type: 'json', data: { m: { k: ['1'] } }, collapsed: true });
    const wide = new JSONViewer(Array.from({ length: 10_000 }, (_, i) => i)).render();
    assert.equal(wide.truncated, true);
    const art = new Artifact([{ a: 1 }], { name: 'rows' }).render();
    assert.equal(art.name, 'rows');
    assert.equal(art.preview.kind, 'table');
    assert.deepEqual(new Code('x = 1', { language: 'python', firstLine: 3 }).render(), { type: 'code', code: 'x = 1', language: 'python', firstLine: 3 });
    const err = new ErrorComponent(new RangeError('bad')).render();
    assert.equal(err.errorType, 'RangeError');
    assert.equal(err.message, 'bad');
    assert.match(err.stack!, /RangeError: bad/);
    assert.deepEqual(new ErrorComponent('plain', { title: 'T' }).render(), { type: 'error', errorType: 'Error', message: 'plain', title: 'T' });
  });

  test('renderComponent turns a component that cannot be drawn into an error in its place', () => {
    assert.deepEqual(renderComponent(new Markdown('ok')), { component: { type: 'markdown', text: 'ok' } });
    const failing = renderComponent({ render: () => { throw new TypeError('boom'); } });
    assert.equal(failing.component.type, 'error');
    assert.equal(failing.error?.message, 'boom');
    const notOne = renderComponent('text');
    assert.equal(notOne.component.type, 'error');
    assert.match(notOne.error!.message, /must be one of cairn's components.*got string/);
  });
});
