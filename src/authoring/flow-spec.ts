import { fileURLToPath } from 'node:url';
import { realpathSync } from 'node:fs';
import { CairnError } from '../errors.js';
import { hooksOf, type ForeachFrameView, type MergeOptions, type Transition } from './task-hooks.js';

type StepRef = (...args: never[]) => unknown;

/** Flow classes whose module called `main(import.meta)`, by module URL. */
export const declaredFlows = new Map<string, typeof FlowSpec>();

/** Runs the command line for a flow file that is the program (`npx tsx flow.ts run`). */
export type FlowLauncher = (argv: string[], context: { flowFile: string; flowClass: typeof FlowSpec }) => Promise<void>;

let launcher: FlowLauncher | undefined;

/**
 * Called by the package entry (`src/index.ts`), which sits above the command line: authoring never
 * imports the CLI, and `FlowSpec.main` reaches it through this.
 */
export function registerFlowLauncher(launch: FlowLauncher): void {
  launcher = launch;
}

function invalidNext(step: string | undefined, why: string): CairnError {
  return new CairnError(
    'INVALID_TRANSITION',
    `Step ${step ?? '?'} called this.next() in a way cairn cannot use: ${why}. ` +
      'The valid forms are this.next(this.b); this.next(this.a, this.b); ' +
      "this.next(this.b, { foreach: 'items' }); this.next({ x: this.a, y: this.b }, { condition: 'key' }).",
  );
}

/**
 * The base class of every flow. Steps are methods marked `@step`; everything a step assigns to
 * `this` becomes an artifact of the task.
 *
 * @example
 * ```ts
 * import { FlowSpec, step } from 'cairnflow';
 *
 * export class HelloFlow extends FlowSpec {
 *   declare greeting: string;
 *   @step start() { this.greeting = 'hello'; this.next(this.end); }
 *   @step end() { console.log(this.greeting); }
 * }
 * HelloFlow.main(import.meta); // `npx tsx flow.ts run`; or `npx cairn run flow.ts`
 * ```
 */
export abstract class FlowSpec {
  /**
   * Ends a step by naming what runs next: `this.next(this.b)`, a static branch
   * `this.next(this.a, this.b)`, a foreach `this.next(this.b, { foreach: 'items' })`, or a switch
   * `this.next({ big: this.a, small: this.b }, { condition: 'size' })`.
   */
  next(...targets: StepRef[]): void;
  next(target: StepRef, options: { foreach: string }): void;
  next(cases: Record<string, StepRef>, options: { condition: string }): void;
  next(...args: unknown[]): void {
    const h = hooksOf(this, 'this.next()');
    const name = (fn: unknown): string => {
      const n = h.stepName(fn);
      if (!n) throw invalidNext(undefined, 'every target must be a step method of this flow, like this.end');
      return n;
    };
    const last = args[args.length - 1];
    let transition: Transition;
    if (args.length === 2 && typeof last === 'object' && last !== null && 'foreach' in last) {
      const foreach = (last as { foreach: unknown }).foreach;
      if (typeof foreach !== 'string') throw invalidNext(undefined, 'foreach must name an artifact, as a string');
      transition = { kind: 'foreach', targets: [name(args[0])], foreach };
    } else if (args.length === 2 && typeof last === 'object' && last !== null && 'condition' in last) {
      const condition = (last as { condition: unknown }).condition;
      const cases = args[0];
      if (typeof condition !== 'string') throw invalidNext(undefined, 'condition must name an artifact, as a string');
      if (typeof cases !== 'object' || cases === null) throw invalidNext(undefined, 'a switch needs an object of cases');
      transition = {
        kind: 'switch',
        condition,
        cases: Object.fromEntries(Object.entries(cases).map(([k, v]) => [k, name(v)])),
      };
    } else {
      if (args.length === 0) throw invalidNext(undefined, 'it names no step');
      transition = { kind: 'linear', targets: args.map(name) };
    }
    h.next(transition);
  }

  /** In a foreach task: the element of the foreach artifact this task handles. */
  get input(): any {
    return hooksOf(this, 'this.input').input();
  }

  /** In a foreach task: the 0-based position of `this.input`; undefined outside a foreach. */
  get index(): number | undefined {
    return hooksOf(this, 'this.index').index();
  }

  /** The enclosing foreach frames, outer to inner. */
  foreachStack(): ForeachFrameView[] {
    return hooksOf(this, 'this.foreachStack()').foreachStack();
  }

  /**
   * In a join: copies every artifact of the inputs that is not set on `this` yet, when all inputs
   * agree on its value (or only one has it). Different values fail, naming the artifacts, and
   * nothing is set.
   */
  mergeArtifacts(inputs: ReadonlyArray<unknown>, options: MergeOptions = {}): void {
    hooksOf(this, 'this.mergeArtifacts()').mergeArtifacts(inputs, options);
  }

  /**
   * Chooses how artifacts this task stores are compressed: `'gzip'` or `'none'` (default: gzip for
   * plain data stored by v8 from 64 KiB, none for typed arrays, Buffers and data frames). Applies to
   * the artifacts this task stores; an artifact passed on unchanged keeps its bytes.
   *
   * @example
   * this.setCompression('events', 'none');          // keep a large JSON-like value uncompressed
   * this.setCompression(['image', 'mask'], 'gzip');   // compress binary data that compresses well
   */
  setCompression(names: string | readonly string[], compression: 'gzip' | 'none'): void {
    hooksOf(this, 'this.setCompression()').setCompression(typeof names === 'string' ? [names] : names, compression);
  }

  /**
   * Call at the bottom of a flow file: `MyFlow.main(import.meta)`. Runs the CLI when the file is
   * executed (`npx tsx flow.ts run`), does nothing when it is imported.
   */
  static main(this: typeof FlowSpec, meta: ImportMeta): void {
    declaredFlows.set(meta.url, this);
    if (!meta.url.startsWith('file:') || !process.argv[1]) return;
    let file: string;
    let entry: string;
    try {
      file = realpathSync(fileURLToPath(meta.url));
      entry = realpathSync(process.argv[1]);
    } catch {
      return;
    }
    if (file !== entry) return;
    if (!launcher) {
      throw new CairnError(
        'INVALID_FLOW',
        `${this.name}.main(import.meta) cannot start the command line: FlowSpec was not loaded through the 'cairnflow' package entry. ` +
          "Import FlowSpec from 'cairnflow' in the flow file, or run the flow with `npx cairn run <flow.ts>`.",
      );
    }
    void launcher(process.argv.slice(2), { flowFile: file, flowClass: this });
  }
}

export type FlowClass<F extends FlowSpec = FlowSpec> = (abstract new () => F) & typeof FlowSpec;
