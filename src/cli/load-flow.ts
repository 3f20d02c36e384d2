import type { FlowArg } from './command.js';

/**
 * Loads (compiles, parses and lints) the flow a command works on, through the flow cache of the
 * store found from here; the class itself when the file is the program.
 */
export async function loadFlowArg(flow: FlowArg) {
  const [{ loadFlow, loaderDirs }, { resolveStoreConfig }] = await Promise.all([
    import('../orchestrator/load-flow.js'),
    import('../storage/config.js'),
  ]);
  return loadFlow(flow.file, { ...loaderDirs(flow.file, resolveStoreConfig().root), ...(flow.flowClass ? { flowClass: flow.flowClass } : {}) });
}
