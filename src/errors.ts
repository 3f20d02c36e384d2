/**
 * One error class for everything cairn reports, with a stable string `code` (see `ErrorCode`) and
 * the underlying `cause`. Messages say what was wrong and what to do about it.
 */
export type ErrorCode =
  | 'NOT_FOUND'
  | 'INVALID_PATHSPEC'
  | 'NAMESPACE_MISMATCH'
  | 'INVALID_FLOW'
  | 'LINT'
  | 'INVALID_ARGUMENT'
  | 'UNSERIALIZABLE_ARTIFACT'
  | 'CORRUPT_BLOB'
  | 'MERGE_CONFLICT'
  | 'INVALID_TRANSITION'
  | 'RUN_ACTIVE'
  | 'STORE'
  | 'EXECUTOR'
  | 'INTERNAL';

export class CairnError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'CairnError';
  }
}

/** Thrown by the client when a pathspec names nothing that exists. */
export class NotFoundError extends CairnError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NOT_FOUND', message, options);
    this.name = 'NotFoundError';
  }
}

export class InvalidPathspecError extends CairnError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_PATHSPEC', message, options);
    this.name = 'InvalidPathspecError';
  }
}

export class NamespaceMismatchError extends CairnError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NAMESPACE_MISMATCH', message, options);
    this.name = 'NamespaceMismatchError';
  }
}

export function isCairnError(e: unknown): e is CairnError {
  return e instanceof CairnError || (typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'CairnError');
}
