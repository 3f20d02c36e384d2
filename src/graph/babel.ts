/**
 * Babel's parser, loaded on first use: it is a large module, and a run of an unchanged flow (read
 * from the flow cache) never parses anything.
 */
import { createRequire } from 'node:module';
import type * as BabelParser from '@babel/parser';

let parser: typeof BabelParser | undefined;

export function babelParse(source: string, options: BabelParser.ParserOptions): ReturnType<typeof BabelParser.parse> {
  parser ??= createRequire(import.meta.url)('@babel/parser') as typeof BabelParser;
  return parser.parse(source, options);
}
