// Reads typed fields out of a parsed JSON object, remembering the first problem (core).
// Hand-written instead of a schema library: one pass, no allocation beyond the copy it returns.

/** Field checks that record the first failure as one sentence naming the field and the rule. */
export class FieldReader {
  /** The object being read. */
  obj: Record<string, unknown> = {};
  /** First problem found, or undefined while all checks passed. */
  error: string | undefined = undefined;

  /** Starts reading `obj`, forgetting any earlier error. */
  reset(obj: Record<string, unknown>): this {
    this.obj = obj;
    this.error = undefined;
    return this;
  }

  #fail(msg: string): undefined {
    if (this.error === undefined) this.error = msg;
    return undefined;
  }

  /** An integer in [min, max]; undefined (no error) when absent and `optional`. */
  int(key: string, min: number, max: number, optional = false): number | undefined {
    const v = this.obj[key];
    if (v === undefined && optional) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) return this.#fail(`${key} must be an integer ${min}..${max}`);
    return v;
  }

  /** A finite number in [min, max]. */
  num(key: string, min: number, max: number, optional = false): number | undefined {
    const v = this.obj[key];
    if (v === undefined && optional) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) return this.#fail(`${key} must be a number ${min}..${max}`);
    return v;
  }

  /** A string of minLen..maxLen UTF-16 code units. */
  str(key: string, minLen: number, maxLen: number, optional = false): string | undefined {
    const v = this.obj[key];
    if (v === undefined && optional) return undefined;
    if (typeof v !== 'string' || v.length < minLen || v.length > maxLen) return this.#fail(`${key} must be a string of ${minLen}..${maxLen} characters`);
    return v;
  }

  /** One of a fixed set of strings. */
  oneOf<T extends string>(key: string, values: readonly T[], optional = false): T | undefined {
    const v = this.obj[key];
    if (v === undefined && optional) return undefined;
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) return this.#fail(`${key} must be one of ${values.join(', ')}`);
    return v as T;
  }

  /** A boolean. */
  bool(key: string, optional = false): boolean | undefined {
    const v = this.obj[key];
    if (v === undefined && optional) return undefined;
    if (typeof v !== 'boolean') return this.#fail(`${key} must be true or false`);
    return v;
  }

  /** An array of at most maxLen items (items are checked by the caller). */
  array(key: string, maxLen: number, optional = false): unknown[] | undefined {
    const v = this.obj[key];
    if (v === undefined && optional) return undefined;
    if (!Array.isArray(v) || v.length > maxLen) return this.#fail(`${key} must be an array of at most ${maxLen} items`);
    return v;
  }

  /** A plain object (not null, not an array). */
  object(key: string, optional = false): Record<string, unknown> | undefined {
    const v = this.obj[key];
    if (v === undefined && optional) return undefined;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return this.#fail(`${key} must be an object`);
    return v as Record<string, unknown>;
  }

  /** Records a failure found by the caller. */
  fail(msg: string): undefined {
    return this.#fail(msg);
  }
}

/** Copies `value` into `out[key]` only when defined (keeps optional fields absent, not undefined). */
export function setIfDefined<T extends object, K extends keyof T>(out: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) out[key] = value;
}
