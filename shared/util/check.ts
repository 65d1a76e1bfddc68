/**
 * Run-time input checks for the deployed functions: a small schema builder with the part of
 * zod's surface costwatch's event, queue and Slack parsers use (`z.object`, `z.string().max()`,
 * `.nullish()`, `.transform()`, `safeParse`, inferred types), so those parsers read the same
 * while no schema library ships in a Lambda bundle. The policy file keeps zod (shared/config/
 * schema.ts): it is validated by the CLI and at synth, never in a function.
 *
 * Use it as `import * as z from '../util/check.js'`. Messages follow zod's wording, so a refusal
 * reads the same either way ("Invalid input: expected number, received string").
 */

/** One problem found in an input, at a path into it. */
export interface Issue {
  readonly code: string;
  readonly path: PropertyKey[];
  readonly message: string;
  readonly input?: unknown;
}

/** The problems of an input that did not pass. */
export class CheckError extends Error {
  readonly issues: Issue[];
  constructor(issues: Issue[]) {
    super(issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
    this.name = 'CheckError';
    this.issues = issues;
  }
}

/** What a transform or refinement may report. */
export interface Ctx {
  addIssue(issue: { readonly code?: string; readonly message: string; readonly path?: PropertyKey[] }): void;
}

/** Returned by a transform that reported an issue (its value is never used). */
export const NEVER = undefined as never;

/** What a custom `error` option receives. */
export interface IssueInput {
  readonly input: unknown;
}
/** A custom message for a schema's type or value mismatch (undefined keeps the default). */
export type ErrorOption = { readonly error?: (iss: IssueInput) => string | undefined };

const FAIL: unique symbol = Symbol('fail');
type Fail = typeof FAIL;

type SafeParse<O> = { readonly success: true; readonly data: O } | { readonly success: false; readonly error: CheckError };

/** A schema producing values of type O. */
export abstract class Schema<O> {
  /** The output type, for `z.infer` (never read). */
  declare readonly _output: O;

  /** @internal */
  abstract run(v: unknown, path: PropertyKey[], issues: Issue[]): O | Fail;

  safeParse(v: unknown): SafeParse<O> {
    const issues: Issue[] = [];
    const out = this.run(v, [], issues);
    return out === FAIL || issues.length > 0 ? { success: false, error: new CheckError(issues) } : { success: true, data: out };
  }

  parse(v: unknown): O {
    const r = this.safeParse(v);
    if (!r.success) throw r.error;
    return r.data;
  }

  optional(): Schema<O | undefined> {
    return new Maybe<O | undefined>(this, (v) => v === undefined);
  }

  nullish(): Schema<O | null | undefined> {
    return new Maybe<O | null | undefined>(this, (v) => v === undefined || v === null);
  }

  nullable(): Schema<O | null> {
    return new Maybe<O | null>(this, (v) => v === null);
  }

  default(value: Exclude<O, undefined>): Schema<Exclude<O, undefined>> {
    return new Fn<Exclude<O, undefined>>((v, path, issues) => (v === undefined ? value : (this.run(v, path, issues) as Exclude<O, undefined> | Fail)));
  }

  transform<N>(fn: (v: O, ctx: Ctx) => N): Schema<N> {
    return new Fn<N>((v, path, issues) => {
      const out = this.run(v, path, issues);
      if (out === FAIL) return FAIL;
      const before = issues.length;
      const result = fn(out, ctxAt(path, issues, v));
      return issues.length > before ? FAIL : result;
    });
  }

  refine(check: (v: O) => boolean, message: string | { readonly error: (iss: IssueInput) => string }): Schema<O> {
    return new Fn<O>((v, path, issues) => {
      const out = this.run(v, path, issues);
      if (out === FAIL) return FAIL;
      if (!check(out)) {
        issues.push({ code: 'custom', path, message: typeof message === 'string' ? message : message.error({ input: out }), input: v });
        return FAIL;
      }
      return out;
    });
  }
}

/** A schema's output type. */
export type output<S extends Schema<unknown>> = S['_output'];
export type { output as infer };

function ctxAt(path: PropertyKey[], issues: Issue[], input: unknown): Ctx {
  return { addIssue: (i) => issues.push({ code: i.code ?? 'custom', path: [...path, ...(i.path ?? [])], message: i.message, input }) };
}

class Fn<O> extends Schema<O> {
  constructor(private readonly fn: (v: unknown, path: PropertyKey[], issues: Issue[]) => O | Fail) {
    super();
  }
  run(v: unknown, path: PropertyKey[], issues: Issue[]): O | Fail {
    return this.fn(v, path, issues);
  }
}

class Maybe<O> extends Schema<O> {
  constructor(
    private readonly inner: Schema<unknown>,
    private readonly empty: (v: unknown) => boolean,
  ) {
    super();
  }
  /** Whether the key may be left out of an object. */
  get optionalKey(): boolean {
    return this.empty(undefined);
  }
  run(v: unknown, path: PropertyKey[], issues: Issue[]): O | Fail {
    return this.empty(v) ? (v as O) : (this.inner.run(v, path, issues) as O | Fail);
  }
}

/** The JSON-ish type name zod reports in "received …". */
function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number' && Number.isNaN(v)) return 'NaN';
  return typeof v;
}

function mismatch(expected: string, v: unknown, path: PropertyKey[], issues: Issue[], error?: ErrorOption['error']): Fail {
  issues.push({ code: 'invalid_type', path, message: error?.({ input: v }) ?? `Invalid input: expected ${expected}, received ${typeName(v)}`, input: v });
  return FAIL;
}

type Check<T> = (v: T, path: PropertyKey[], issues: Issue[]) => boolean;

abstract class Checked<T> extends Schema<T> {
  protected constructor(
    protected readonly checks: readonly Check<T>[],
    protected readonly options: ErrorOption,
  ) {
    super();
  }
  protected abstract with(check: Check<T>): this;
  protected abstract accept(v: unknown, path: PropertyKey[], issues: Issue[]): T | Fail;
  run(v: unknown, path: PropertyKey[], issues: Issue[]): T | Fail {
    const out = this.accept(v, path, issues);
    if (out === FAIL) return FAIL;
    let ok = true;
    for (const c of this.checks) if (!c(out, path, issues)) ok = false;
    return ok ? out : FAIL;
  }
}

function fail(issues: Issue[], code: string, path: PropertyKey[], message: string, input: unknown): false {
  issues.push({ code, path, message, input });
  return false;
}

/** A string schema. */
export class StringSchema extends Checked<string> {
  constructor(
    checks: readonly Check<string>[] = [],
    options: ErrorOption = {},
    private readonly trimmed = false,
  ) {
    super(checks, options);
  }
  protected with(check: Check<string>): this {
    return new StringSchema([...this.checks, check], this.options, this.trimmed) as this;
  }
  protected accept(v: unknown, path: PropertyKey[], issues: Issue[]): string | Fail {
    if (typeof v !== 'string') return mismatch('string', v, path, issues, this.options.error);
    return this.trimmed ? v.trim() : v;
  }
  /** Trims before the checks that follow (and in the output). */
  trim(): StringSchema {
    return new StringSchema(this.checks, this.options, true);
  }
  min(n: number, message?: string): StringSchema {
    return this.with((v, p, i) => v.length >= n || fail(i, 'too_small', p, message ?? `Too small: expected string to have >=${n} characters`, v));
  }
  max(n: number, message?: string): StringSchema {
    return this.with((v, p, i) => v.length <= n || fail(i, 'too_big', p, message ?? `Too big: expected string to have <=${n} characters`, v));
  }
  regex(re: RegExp, message?: string): StringSchema {
    return this.with((v, p, i) => re.test(v) || fail(i, 'invalid_format', p, message ?? `Invalid string: must match pattern ${re}`, v));
  }
}

/** A number schema; NaN and ±Infinity are refused, as zod 4 refuses them. */
export class NumberSchema extends Checked<number> {
  constructor(checks: readonly Check<number>[] = [], options: ErrorOption = {}) {
    super(checks, options);
  }
  protected with(check: Check<number>): this {
    return new NumberSchema([...this.checks, check], this.options) as this;
  }
  protected accept(v: unknown, path: PropertyKey[], issues: Issue[]): number | Fail {
    if (typeof v !== 'number' || !Number.isFinite(v)) return mismatch('number', v, path, issues, this.options.error);
    return v;
  }
  /** Numbers are finite already; kept so schemas read as they did. */
  finite(): NumberSchema {
    return this;
  }
  int(message?: string): NumberSchema {
    return this.with((v, p, i) => Number.isSafeInteger(v) || fail(i, 'invalid_type', p, message ?? 'Invalid input: expected int, received number', v));
  }
  min(n: number, message?: string): NumberSchema {
    return this.with((v, p, i) => v >= n || fail(i, 'too_small', p, message ?? `Too small: expected number to be >=${n}`, v));
  }
  max(n: number, message?: string): NumberSchema {
    return this.with((v, p, i) => v <= n || fail(i, 'too_big', p, message ?? `Too big: expected number to be <=${n}`, v));
  }
  gt(n: number, message?: string): NumberSchema {
    return this.with((v, p, i) => v > n || fail(i, 'too_small', p, message ?? `Too small: expected number to be >${n}`, v));
  }
  positive(message?: string): NumberSchema {
    return this.gt(0, message);
  }
}

/** An ISO 8601 date-time string (`{ offset: true }` also accepts `+02:00` zones besides `Z`). */
export class DateTimeSchema extends Schema<string> {
  constructor(private readonly offset: boolean) {
    super();
  }
  run(v: unknown, path: PropertyKey[], issues: Issue[]): string | Fail {
    if (typeof v !== 'string') return mismatch('string', v, path, issues);
    const zone = this.offset ? '(Z|[+-]\\d{2}:\\d{2})' : 'Z';
    const ok = new RegExp(`^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?${zone}$`).test(v) && !Number.isNaN(Date.parse(v));
    if (!ok) {
      issues.push({ code: 'invalid_format', path, message: 'Invalid ISO datetime', input: v });
      return FAIL;
    }
    return v;
  }
}

type Shape = Readonly<Record<string, Schema<unknown>>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: undefined extends S[K]['_output'] ? K : never }[keyof S];
type Flat<T> = { [K in keyof T]: T[K] } & {};
/** The output type of an object schema: keys whose schema accepts undefined are optional. */
export type ObjectOutput<S extends Shape> = Flat<{ [K in Exclude<keyof S, OptionalKeys<S>>]: S[K]['_output'] } & { [K in OptionalKeys<S>]?: S[K]['_output'] }>;

type UnknownKeys = 'strip' | 'strict' | 'passthrough';

/** An object schema; unknown keys are dropped (`object`), refused (`strictObject`) or kept (`looseObject`). */
export class ObjectSchema<S extends Shape, O = ObjectOutput<S>> extends Schema<O> {
  constructor(
    readonly shape: S,
    private readonly unknownKeys: UnknownKeys,
  ) {
    super();
  }
  run(v: unknown, path: PropertyKey[], issues: Issue[]): O | Fail {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return mismatch('object', v, path, issues);
    const input = v as Record<string, unknown>;
    const out: Record<string, unknown> = this.unknownKeys === 'passthrough' ? { ...input } : {};
    let ok = true;
    for (const [key, schema] of Object.entries(this.shape)) {
      const value = Object.hasOwn(input, key) ? input[key] : undefined;
      const r = schema.run(value, [...path, key], issues);
      if (r === FAIL) ok = false;
      else if (r !== undefined || Object.hasOwn(input, key)) out[key] = r;
    }
    if (this.unknownKeys === 'strict') {
      const extra = Object.keys(input).filter((k) => !Object.hasOwn(this.shape, k));
      if (extra.length > 0) {
        issues.push({ code: 'unrecognized_keys', path, message: `Unrecognized key${extra.length > 1 ? 's' : ''}: ${extra.map((k) => JSON.stringify(k)).join(', ')}`, input: v });
        ok = false;
      }
    }
    return ok ? (out as O) : FAIL;
  }
}

/** An array schema. */
export class ArraySchema<T> extends Checked<T[]> {
  constructor(
    private readonly item: Schema<T>,
    checks: readonly Check<T[]>[] = [],
  ) {
    super(checks, {});
  }
  protected with(check: Check<T[]>): this {
    return new ArraySchema(this.item, [...this.checks, check]) as this;
  }
  protected accept(v: unknown, path: PropertyKey[], issues: Issue[]): T[] | Fail {
    if (!Array.isArray(v)) return mismatch('array', v, path, issues);
    const out: T[] = [];
    let ok = true;
    v.forEach((x, i) => {
      const r = this.item.run(x, [...path, i], issues);
      if (r === FAIL) ok = false;
      else out.push(r);
    });
    return ok ? out : FAIL;
  }
  min(n: number, message?: string): ArraySchema<T> {
    return this.with((v, p, i) => v.length >= n || fail(i, 'too_small', p, message ?? `Too small: expected array to have >=${n} items`, v));
  }
  max(n: number, message?: string): ArraySchema<T> {
    return this.with((v, p, i) => v.length <= n || fail(i, 'too_big', p, message ?? `Too big: expected array to have <=${n} items`, v));
  }
}

/** Builders, named as in zod. */
export function string(options: ErrorOption = {}): StringSchema {
  return new StringSchema([], options);
}

export function number(options: ErrorOption = {}): NumberSchema {
  return new NumberSchema([], options);
}

export function boolean(options: ErrorOption = {}): Schema<boolean> {
  return new Fn<boolean>((v, path, issues) => (typeof v === 'boolean' ? v : mismatch('boolean', v, path, issues, options.error)));
}

export function unknown(): Schema<unknown> {
  return new Fn<unknown>((v) => v);
}

export function literal<const L extends string | number | boolean>(value: L, options: ErrorOption = {}): Schema<L> {
  return new Fn<L>((v, path, issues) => {
    if (v === value) return value;
    issues.push({ code: 'invalid_value', path, message: options.error?.({ input: v }) ?? `Invalid input: expected ${JSON.stringify(value)}`, input: v });
    return FAIL;
  });
}

/** One of the given strings. */
export function enum_<const T extends readonly string[]>(values: T, options: ErrorOption = {}): Schema<T[number]> {
  return new Fn<T[number]>((v, path, issues) => {
    if (typeof v === 'string' && values.includes(v)) return v;
    issues.push({ code: 'invalid_value', path, message: options.error?.({ input: v }) ?? `Invalid option: expected one of ${values.map((x) => JSON.stringify(x)).join('|')}`, input: v });
    return FAIL;
  });
}
export { enum_ as enum };

export function object<S extends Shape>(shape: S): ObjectSchema<S> {
  return new ObjectSchema(shape, 'strip');
}

export function strictObject<S extends Shape>(shape: S): ObjectSchema<S> {
  return new ObjectSchema(shape, 'strict');
}

/** Keys not in the shape are kept in the output (typed as unknown). */
export function looseObject<S extends Shape>(shape: S): ObjectSchema<S, ObjectOutput<S> & Record<string, unknown>> {
  return new ObjectSchema(shape, 'passthrough');
}

export function array<T>(item: Schema<T>): ArraySchema<T> {
  return new ArraySchema(item);
}

/** A plain object whose keys and values each pass their schema. */
export function record<K extends string, V>(key: Schema<K>, value: Schema<V>, options: ErrorOption = {}): Schema<Record<K, V>> {
  return new Fn<Record<K, V>>((v, path, issues) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return mismatch('record', v, path, issues, options.error);
    const out = {} as Record<K, V>;
    let ok = true;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const kr = key.run(k, [...path, k], issues);
      const vr = value.run(x, [...path, k], issues);
      if (kr === FAIL || vr === FAIL) ok = false;
      else out[kr] = vr;
    }
    return ok ? out : FAIL;
  });
}

/** The first option that accepts the input; when none does, the issues of the option that got furthest. */
export function union<const T extends readonly Schema<unknown>[]>(options: T): Schema<T[number]['_output']> {
  return new Fn<T[number]['_output']>((v, path, issues) => {
    let best: Issue[] | undefined;
    for (const o of options) {
      const mine: Issue[] = [];
      const r = o.run(v, path, mine);
      if (r !== FAIL && mine.length === 0) return r;
      // An option that accepted the type but not the value says more than a type mismatch.
      if (!best || (best.every((i) => i.code === 'invalid_type' && i.path.length === path.length) && !mine.every((i) => i.code === 'invalid_type' && i.path.length === path.length))) best = mine;
    }
    if (best && !best.every((i) => i.code === 'invalid_type' && i.path.length === path.length)) issues.push(...best);
    else issues.push({ code: 'invalid_union', path, message: `Invalid input: expected ${options.map(expectedName).join(' or ')}, received ${typeName(v)}`, input: v });
    return FAIL;
  });
}

function expectedName(s: Schema<unknown>): string {
  if (s instanceof StringSchema || s instanceof DateTimeSchema) return 'string';
  if (s instanceof NumberSchema) return 'number';
  if (s instanceof ArraySchema) return 'array';
  if (s instanceof ObjectSchema) return 'object';
  return 'a valid value';
}

/** Objects told apart by the literal at `key`. */
export function discriminatedUnion<const T extends readonly ObjectSchema<Shape, unknown>[]>(key: string, options: T): Schema<T[number]['_output']> {
  return new Fn<T[number]['_output']>((v, path, issues) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return mismatch('object', v, path, issues);
    const tag = (v as Record<string, unknown>)[key];
    for (const o of options) {
      const probe: Issue[] = [];
      const lit = o.shape[key];
      if (lit && lit.run(tag, [], probe) !== FAIL && probe.length === 0) return o.run(v, path, issues);
    }
    issues.push({ code: 'invalid_union', path: [...path, key], message: 'Invalid input', input: tag });
    return FAIL;
  });
}

/** ISO formats, as `z.iso.datetime()`. */
export const iso = {
  datetime(options: { readonly offset?: boolean } = {}): DateTimeSchema {
    return new DateTimeSchema(options.offset ?? false);
  },
};
