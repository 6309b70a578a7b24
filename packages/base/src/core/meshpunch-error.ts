// The one error base of every meshpunch package (docs/design.md §4): a stable `code`, a `name`,
// structured `details` and the `cause` it wraps. Each package subclasses it once
// (`class NatError extends MeshpunchError<NatErrorCode>`) for its code union and its name.

/** Error thrown or rejected by a meshpunch API; `code` is stable (docs/errors.md), `message` is for people. */
export class MeshpunchError<C extends string = string> extends Error {
  override readonly name: string = 'MeshpunchError';
  readonly code: C;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: C, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.details = Object.freeze({ ...details });
  }
}
