/** The HTML of every page: a shell that loads the UI's script and styles; the pages fetch their data. */

const ICON = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Cpath d='M6 26h20l-3-6H9z' fill='%23516b8f'/%3E%3Cpath d='M9 19h14l-2.5-5h-9z' fill='%236f8bb3'/%3E%3Cpath d='M12 13h8l-2-4h-4z' fill='%2393acd0'/%3E%3C/svg%3E";

const attr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** `preload`: the API answer the page reads first (`data-urls.ts`), fetched by the browser while the script loads. */
export function pageHtml(options: { status: number; preload?: string }): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    '<title>cairn</title>',
    `<link rel="icon" href="${ICON}">`,
    ...(options.preload ? [`<link rel="preload" href="${attr(options.preload)}" as="fetch" crossorigin="anonymous">`] : []),
    '<link rel="stylesheet" href="/assets/app.css">',
    '<script src="/assets/app.js" defer></script>',
    '</head>',
    `<body data-status="${options.status}">`,
    '<div id="app"><noscript>The cairn UI needs JavaScript.</noscript></div>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
