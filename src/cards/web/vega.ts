/** The chart renderer bundle (`dist/cards/vega.js`): installs `window.cairnVega` for the card viewer. */
import embed from 'vega-embed';
import { expressionInterpreter } from 'vega-interpreter';
import type { VegaApi } from './chart.js';

const api: VegaApi = {
  async embed(el, spec, options) {
    const result = await embed(el, spec as Parameters<typeof embed>[1], {
      actions: options.actions,
      renderer: 'svg',
      ast: true,
      expr: expressionInterpreter,
    });
    return { finalize: () => result.finalize() };
  },
};
window.cairnVega = api;
