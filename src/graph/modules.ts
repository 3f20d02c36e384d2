/**
 * The top level of flow source files, as far as the graph needs it: the classes each file
 * declares, what it imports and exports, and how to follow a class's `extends` from one file to
 * another (a flow whose steps live partly in a base class in another file). Nothing is run.
 */
import { babelParse } from './babel.js';
import type * as t from '@babel/types';
import { CairnError } from '../errors.js';
import { unwrapExpression } from './parse-transition.js';
import type { SourceLocation } from './types.js';

/** Where the parser gets the text of files, and how imports between them resolve. */
export interface SourceReader {
  /** The text of a source file. */
  read(file: string): string;
  /**
   * The file that `specifier`, imported by `from`, refers to; undefined for a package or anything
   * that is not a local source file.
   */
  resolve(from: string, specifier: string): string | undefined;
}

export interface TopLevelClass {
  decl: t.ClassDeclaration;
  /** The top-level statement holding it (the `export` declaration, if any). */
  statement: t.Statement;
  /** Where the previous top-level statement ends (doc comments are searched after it). */
  prevEnd: number;
}

/** What one file imports under a local name: `imported` is a name, `default` or `*` (a namespace). */
interface ImportBinding {
  source: string;
  imported: string;
}

type ExportBinding = { local: string } | { source: string; imported: string };

export interface SourceModule {
  file: string;
  source: string;
  comments: readonly t.Comment[];
  /** Local name → imported name, for renamed imports (`import { step as s }`). */
  aliases: Map<string, string>;
  classes: Map<string, TopLevelClass>;
  imports: Map<string, ImportBinding>;
  exports: Map<string, ExportBinding>;
  /** Sources of `export * from '...'`. */
  starExports: string[];
}

/** A class found in a source file. */
export interface ClassRef {
  module: SourceModule;
  cls: TopLevelClass;
}

/** What a class extends, as far as the source tells. */
export type BaseClass =
  | { kind: 'class'; ref: ClassRef }
  /** `FlowSpec` from 'cairnflow', or no `extends` at all: the chain ends here. */
  | { kind: 'root' }
  /** A base class the source does not let cairn read: `what` is how it is written, `why` the reason. */
  | { kind: 'unfollowed'; what: string; why: string; loc: SourceLocation };

export function locOf(node: t.Node, file: string): SourceLocation {
  const pos = node.loc?.start;
  return { file, line: pos?.line ?? 1, column: (pos?.column ?? 0) + 1 };
}

function parseSource(source: string, file: string): t.File {
  try {
    return babelParse(source, {
      sourceType: 'module',
      sourceFilename: file,
      plugins: ['typescript', ['decorators', { allowCallParenthesized: true }]],
    });
  } catch (e) {
    const pos = (e as { loc?: { line?: number; column?: number } }).loc;
    const where = pos?.line !== undefined ? `${file}:${pos.line}:${(pos.column ?? 0) + 1}` : file;
    const reason = (e instanceof Error ? e.message : String(e)).replace(/ \(\d+:\d+\)$/, '');
    throw new CairnError(
      'INVALID_FLOW',
      `${where}: the flow file could not be parsed as TypeScript (${reason}). Fix the syntax error and try again.`,
      { cause: e },
    );
  }
}

function nameOf(node: t.Identifier | t.StringLiteral): string {
  return node.type === 'Identifier' ? node.name : node.value;
}

/** Reads the top level of one file. */
export function readModule(source: string, file: string): SourceModule {
  const ast = parseSource(source, file);
  const mod: SourceModule = {
    file,
    source,
    comments: ast.comments ?? [],
    aliases: new Map(),
    classes: new Map(),
    imports: new Map(),
    exports: new Map(),
    starExports: [],
  };
  let prevEnd = 0;
  for (const stmt of ast.program.body) {
    readStatement(mod, stmt, prevEnd);
    prevEnd = stmt.end ?? 0;
  }
  return mod;
}

function readStatement(mod: SourceModule, stmt: t.Statement, prevEnd: number): void {
  if (stmt.type === 'ImportDeclaration') {
    if (stmt.importKind === 'type') return;
    for (const spec of stmt.specifiers) {
      if (spec.type === 'ImportSpecifier') {
        if (spec.importKind === 'type') continue;
        const imported = nameOf(spec.imported);
        if (imported !== spec.local.name) mod.aliases.set(spec.local.name, imported);
        mod.imports.set(spec.local.name, { source: stmt.source.value, imported });
      } else if (spec.type === 'ImportDefaultSpecifier') {
        mod.imports.set(spec.local.name, { source: stmt.source.value, imported: 'default' });
      } else {
        mod.imports.set(spec.local.name, { source: stmt.source.value, imported: '*' });
      }
    }
    return;
  }
  if (stmt.type === 'ExportAllDeclaration') {
    if (stmt.exportKind !== 'type') mod.starExports.push(stmt.source.value);
    return;
  }
  let decl: t.Node | null | undefined = stmt;
  if (stmt.type === 'ExportNamedDeclaration') {
    decl = stmt.declaration;
    for (const spec of stmt.specifiers) {
      if (spec.type !== 'ExportSpecifier' || spec.exportKind === 'type') continue;
      const exported = nameOf(spec.exported);
      mod.exports.set(exported, stmt.source ? { source: stmt.source.value, imported: spec.local.name } : { local: spec.local.name });
    }
  } else if (stmt.type === 'ExportDefaultDeclaration') {
    decl = stmt.declaration;
    if (decl.type === 'Identifier') mod.exports.set('default', { local: decl.name });
    else if (decl.type === 'ClassDeclaration' && decl.id) mod.exports.set('default', { local: decl.id.name });
  }
  if (decl?.type === 'ClassDeclaration' && decl.id) {
    mod.classes.set(decl.id.name, { decl, statement: stmt, prevEnd });
    if (stmt.type === 'ExportNamedDeclaration') mod.exports.set(decl.id.name, { local: decl.id.name });
  }
}

/** Reads files once each, and follows names between them. */
export class ModuleGraph {
  private readonly modules = new Map<string, SourceModule>();

  constructor(private readonly reader: SourceReader) {}

  /** Every file read so far. */
  get files(): string[] {
    return [...this.modules.keys()];
  }

  module(file: string): SourceModule {
    let mod = this.modules.get(file);
    if (!mod) {
      mod = readModule(this.reader.read(file), file);
      this.modules.set(file, mod);
    }
    return mod;
  }

  /** What the class extends. */
  baseOf(ref: ClassRef): BaseClass {
    const sup = ref.cls.decl.superClass;
    if (!sup) return { kind: 'root' };
    const expr = unwrapExpression(sup);
    const what = ref.module.source.slice(expr.start ?? 0, expr.end ?? 0);
    const loc = locOf(expr, ref.module.file);
    const unfollowed = (why: string): BaseClass => ({ kind: 'unfollowed', what, why, loc });
    if (expr.type === 'Identifier') {
      const found = this.local(ref.module, expr.name, new Set());
      if (found) return found;
      const imp = ref.module.imports.get(expr.name);
      if (!imp) return unfollowed(`no class ${expr.name} is declared at the top level of ${ref.module.file} or imported there`);
      const target = this.reader.resolve(ref.module.file, imp.source);
      return unfollowed(target === undefined ? fromPackage(imp.source) : `${imp.source} exports no class ${imp.imported} that cairn can find (declared at the top level of a file)`);
    }
    if (expr.type === 'MemberExpression' && !expr.computed && expr.object.type === 'Identifier' && expr.property.type === 'Identifier') {
      const ns = ref.module.imports.get(expr.object.name);
      if (ns?.imported === '*') {
        const target = this.reader.resolve(ref.module.file, ns.source);
        if (target === undefined) return unfollowed(fromPackage(ns.source));
        return this.exported(target, expr.property.name, new Set()) ?? unfollowed(`${ns.source} exports no class ${expr.property.name}`);
      }
    }
    return unfollowed('cairn reads the base class only when it is named directly (class MyFlow extends BaseFlow), or as a member of a namespace import (extends base.BaseFlow)');
  }

  /** The class that `name` means in `mod`: declared there, or imported. */
  private local(mod: SourceModule, name: string, seen: Set<string>): BaseClass | undefined {
    const cls = mod.classes.get(name);
    if (cls) return { kind: 'class', ref: { module: mod, cls } };
    const imp = mod.imports.get(name);
    if (!imp || imp.imported === '*') return undefined;
    const target = this.reader.resolve(mod.file, imp.source);
    if (target === undefined) {
      if (imp.source === 'cairnflow' && imp.imported === 'FlowSpec') return { kind: 'root' };
      return undefined;
    }
    return this.exported(target, imp.imported, seen);
  }

  /** The class a file exports under `name` (following re-exports). */
  private exported(file: string, name: string, seen: Set<string>): BaseClass | undefined {
    const key = `${file}\0${name}`;
    if (seen.has(key)) return undefined;
    seen.add(key);
    const mod = this.module(file);
    const binding = mod.exports.get(name);
    if (binding && 'local' in binding) return this.local(mod, binding.local, seen);
    if (binding) {
      const target = this.reader.resolve(file, binding.source);
      return target === undefined ? undefined : this.exported(target, binding.imported, seen);
    }
    if (name === 'default') return undefined;
    for (const source of mod.starExports) {
      const target = this.reader.resolve(file, source);
      const found = target === undefined ? undefined : this.exported(target, name, seen);
      if (found) return found;
    }
    return undefined;
  }
}

function fromPackage(source: string): string {
  return `it comes from the package '${source}', and steps are read only from the flow's own files`;
}
