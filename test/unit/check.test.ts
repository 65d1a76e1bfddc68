import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z as zod } from 'zod';
import * as z from '../../shared/util/check.js';

describe('check (run-time input schemas)', () => {
  it('accepts and rejects what zod accepts and rejects, for the shapes the parsers use', () => {
    const pairs = [
      [z.string().trim().min(1).max(8), zod.string().trim().min(1).max(8)],
      [z.number().finite().min(0).max(1e15), zod.number().finite().min(0).max(1e15)],
      [z.number().int().min(0).max(100).nullish(), zod.number().int().min(0).max(100).nullish()],
      [z.union([z.number(), z.string().max(4)]), zod.union([zod.number(), zod.string().max(4)])],
      [z.object({ a: z.string(), b: z.number().optional() }), zod.object({ a: zod.string(), b: zod.number().optional() })],
      [z.strictObject({ a: z.boolean() }), zod.strictObject({ a: zod.boolean() })],
      [z.array(z.string()).min(1).max(2), zod.array(zod.string()).min(1).max(2)],
      [z.record(z.string().max(3), z.string()), zod.record(zod.string().max(3), zod.string())],
      [z.enum(['x', 'y']), zod.enum(['x', 'y'])],
      [z.iso.datetime({ offset: true }), zod.iso.datetime({ offset: true })],
    ] as const;
    const values = fc.oneof(
      fc.string({ maxLength: 10 }),
      fc.double(),
      fc.integer({ min: -5, max: 200 }),
      fc.boolean(),
      fc.constantFrom(null, undefined, 'x', 'y', '2025-06-18T12:00:00Z', '2025-06-18T12:00:00+02:00', '2025-06-18 12:00', Infinity, NaN, -0),
      fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
      fc.record({ a: fc.oneof(fc.string({ maxLength: 3 }), fc.boolean()), b: fc.option(fc.integer(), { nil: undefined }) }),
      fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.string({ maxLength: 3 }), fc.integer())),
    );
    fc.assert(
      fc.property(values, (v) => {
        for (const [mine, theirs] of pairs) {
          const a = mine.safeParse(v);
          const b = theirs.safeParse(v);
          expect(a.success, `${JSON.stringify(v)}`).toBe(b.success);
          if (a.success && b.success) expect(a.data).toEqual(b.data);
        }
      }),
      { numRuns: 2000, seed: 12 },
    );
  });

  it('names the path and the problem the way zod does', () => {
    const s = z.object({ impact: z.object({ totalImpact: z.number() }), tags: z.array(z.string()).optional() });
    const r = s.safeParse({ impact: { totalImpact: '1001' }, tags: ['a', 3] });
    expect(r.success).toBe(false);
    if (r.success) return;
    expect(r.error.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['impact.totalImpact', 'Invalid input: expected number, received string'],
      ['tags.1', 'Invalid input: expected string, received number'],
    ]);
    const missing = z.object({ data: z.string() }).safeParse({});
    expect(!missing.success && missing.error.issues[0]!.message).toBe('Invalid input: expected string, received undefined');
    const strict = z.strictObject({ a: z.string() }).safeParse({ a: 'x', b: 1 });
    expect(!strict.success && strict.error.issues[0]!.message).toBe('Unrecognized key: "b"');
  });

  it('drops unknown keys of object, keeps them in looseObject, and tells discriminated unions apart', () => {
    expect(z.object({ a: z.string() }).parse({ a: 'x', b: 1 })).toEqual({ a: 'x' });
    expect(z.looseObject({ a: z.string() }).parse({ a: 'x', b: 1 })).toEqual({ a: 'x', b: 1 });
    const u = z.discriminatedUnion('type', [z.strictObject({ type: z.literal('a'), n: z.number() }), z.strictObject({ type: z.literal('b'), s: z.string() })]);
    expect(u.parse({ type: 'b', s: 'x' })).toEqual({ type: 'b', s: 'x' });
    const bad = u.safeParse({ type: 'c' });
    expect(!bad.success && bad.error.issues[0]!.path).toEqual(['type']);
    const wrong = u.safeParse({ type: 'a', n: 'x' });
    expect(!wrong.success && wrong.error.issues[0]!.path).toEqual(['n']);
  });

  it('fails a transform that reported an issue, and applies custom messages', () => {
    const positive = z.union([z.number(), z.string()]).transform((v, ctx) => {
      const n = Number(v);
      if (!(n > 0)) {
        ctx.addIssue({ code: 'custom', message: 'must be positive' });
        return z.NEVER;
      }
      return n;
    });
    expect(positive.parse('3')).toBe(3);
    const r = positive.safeParse('-1');
    expect(!r.success && r.error.issues[0]!.message).toBe('must be positive');
    const custom = z.string({ error: (iss) => (iss.input === undefined ? 'is missing' : undefined) });
    const m = custom.safeParse(undefined);
    expect(!m.success && m.error.issues[0]!.message).toBe('is missing');
    const lit = z.literal('x', { error: () => 'turn it on' }).safeParse('y');
    expect(!lit.success && lit.error.issues[0]!.message).toBe('turn it on');
    expect(() => z.string().parse(1)).toThrow(z.CheckError);
  });
});
