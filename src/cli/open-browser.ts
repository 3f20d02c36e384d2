/** Opens a URL or a file in the default browser (`open`, `start` or `xdg-open`); a failure only prints what to open by hand. */
export async function openInBrowser(target: string): Promise<void> {
  const { spawn } = await import('node:child_process');
  const [cmd, ...cmdArgs] = process.platform === 'darwin' ? ['open'] : process.platform === 'win32' ? ['cmd', '/c', 'start', '""'] : ['xdg-open'];
  const child = spawn(cmd!, [...cmdArgs, target], { stdio: 'ignore', detached: true });
  child.on('error', () => process.stderr.write(`Could not open a browser (${cmd} failed): open ${target} yourself.\n`));
  child.unref();
}
