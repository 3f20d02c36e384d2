import { defineCommand } from '../command.js';
import { usageError } from '../args.js';

export default defineCommand({
  name: 'ui',
  flowless: true,
  summary: 'Open the web UI: every flow, run, task, log, artifact and card of the store, in a browser. It only reads.',
  usage: 'cairn ui [--port 3737] [--host 127.0.0.1] [--open]',
  options: {
    port: { kind: 'int', metavar: 'N', help: 'the port to listen on (default 3737; 0 picks a free one)' },
    host: { kind: 'string', metavar: 'ADDR', help: 'the address to listen on (default 127.0.0.1: only this machine)' },
    open: { kind: 'flag', help: 'open the UI in the default browser' },
  },
  async run(args) {
    const o = args.options;
    const port = o.port ?? 3737;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError(`--port takes a port number from 0 to 65535; got ${port}.`);
    const host = o.host ?? '127.0.0.1';
    if (host.trim() === '') throw usageError('--host needs an address, such as 127.0.0.1 or 0.0.0.0.');
    const [{ startUiServer }, { isLoopbackHost }, { clientContext }] = await Promise.all([
      import('../../ui/server.js'),
      import('../../ui/security.js'),
      import('../../client/context.js'),
    ]);
    const ctx = await clientContext();
    let ui;
    try {
      ui = await startUiServer({ host, port });
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (code === 'EADDRINUSE') throw usageError(`Port ${port} on ${host} is in use: pick another with --port N (0 picks a free one).`);
      if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw usageError(`Cannot listen on ${host}: it is not an address of this machine.`);
      throw e;
    }
    if (!isLoopbackHost(host)) {
      process.stderr.write(
        `warning: the UI listens on ${host}: anyone who can reach port ${new URL(ui.url).port} can read every run, log and artifact of this store. ` +
          'Use the default 127.0.0.1 (and an SSH tunnel) unless that is what you want.\n',
      );
    }
    process.stdout.write(`cairn ui: ${ui.url} (reading ${ctx.metadata.kind} ${ctx.metadata.location}, ${ctx.artifacts.kind} ${ctx.artifacts.location}). Ctrl-C stops it.\n`);
    if (o.open) await (await import('../open-browser.js')).openInBrowser(ui.url);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await ui.close();
    return 0;
  },
});
