/**
 * Binds a fresh flow instance to the artifacts a task inherits: each inherited name becomes an
 * accessor that loads its value lazily on first read; everything the step assigns is noticed, so
 * that at the end of the task the runtime knows what to serialize and what to pass on by hash.
 */
import { CairnError } from '../errors.js';
import type { ArtifactInfo } from '../storage/types.js';

interface Slot {
  info: ArtifactInfo | undefined;
  /** Set once the value is known: read from the store, or assigned by the step. */
  hasValue: boolean;
  value: unknown;
  /** True when the value may differ from `info` (assigned, or read and so possibly mutated). */
  dirty: boolean;
  readonly: boolean;
}

/**
 * One artifact to persist: unchanged by hash (`info`), or a value to serialize; `was` is what an
 * inherited value was stored as, so an unchanged value read and written back keeps its address.
 */
export type Persisted = { name: string; info: ArtifactInfo } | { name: string; value: unknown; was?: ArtifactInfo };

export interface BindingOptions {
  step: string;
  /** Inherited artifacts (a linear step: its parent's; a join: none but the parameters). */
  inherited: Record<string, ArtifactInfo>;
  /** Names that are read-only in every step (parameters). */
  readonlyNames: ReadonlySet<string>;
  load(name: string, info: ArtifactInfo): unknown;
}

export class Binding {
  private readonly slots = new Map<string, Slot>();
  private readonly initial = new Map<string, unknown>();

  constructor(
    private readonly instance: object,
    private readonly options: BindingOptions,
  ) {
    // Field initialisers ran in the constructor: remember what they set, and let inherited artifacts
    // replace them (an initialiser never overwrites an inherited artifact).
    for (const key of Object.keys(instance)) this.initial.set(key, (instance as Record<string, unknown>)[key]);
    for (const [name, info] of Object.entries(options.inherited)) this.define(name, info, options.readonlyNames.has(name));
  }

  /** Makes `name` an inherited artifact (used by `mergeArtifacts` too): reads load `info` lazily. */
  define(name: string, info: ArtifactInfo | undefined, readonly = false): void {
    const slot: Slot = { info, hasValue: false, value: undefined, dirty: false, readonly };
    this.slots.set(name, slot);
    const { step, load } = this.options;
    Object.defineProperty(this.instance, name, {
      configurable: true,
      enumerable: true,
      get: () => {
        if (!slot.hasValue && slot.info) {
          slot.value = load(name, slot.info);
          slot.hasValue = true;
          slot.dirty = typeof slot.value === 'object' && slot.value !== null;
        }
        return slot.value;
      },
      set: (v: unknown) => {
        if (slot.readonly) {
          throw new CairnError(
            'INVALID_ARGUMENT',
            `Step ${step} assigned to parameter '${name}'. Parameters are read-only in every step; ` +
              'assign the value to an artifact with another name.',
          );
        }
        slot.value = v;
        slot.hasValue = true;
        slot.dirty = true;
      },
    });
  }

  /**
   * True when `name` is set on the instance: inherited, merged or assigned. A field that still holds
   * what its initialiser gave it (or the `undefined` of a bare `x!: T`) is not set: merging or
   * inheriting a value replaces it.
   */
  has(name: string): boolean {
    if (this.slots.has(name)) return true;
    if (!Object.prototype.hasOwnProperty.call(this.instance, name)) return false;
    return !this.untouched(name);
  }

  private untouched(name: string): boolean {
    return this.initial.has(name) && this.initial.get(name) === (this.instance as Record<string, unknown>)[name];
  }

  /** What to persist at the end of the task, by name. */
  collect(): Persisted[] {
    const out: Persisted[] = [];
    for (const name of Object.keys(this.instance)) {
      const slot = this.slots.get(name);
      const desc = Object.getOwnPropertyDescriptor(this.instance, name);
      if (slot && desc && desc.get) {
        if (!slot.dirty && slot.info) out.push({ name, info: slot.info });
        else out.push({ name, value: slot.value, ...(slot.info ? { was: slot.info } : {}) });
        continue;
      }
      const value = (this.instance as Record<string, unknown>)[name];
      // Arrow functions in field initialisers are helpers, not data; a function a step assigns is an error.
      if (this.untouched(name) && (value === undefined || typeof value === 'function')) continue;
      out.push({ name, value });
    }
    return out;
  }
}
