import fc from 'fast-check';
import { DEFAULT_BODY_LIMITS, parseJsonBody } from '../../../shared/api/body';
import { ApiError } from '../../../shared/api/errors';

describe('parseJsonBody', () => {
  it('any text is parsed to the same value JSON.parse gives, or refused with an ApiError 4xx — never another throw', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue({ maxDepth: 50 }).map((v) => JSON.stringify(v) ?? 'null'), fc.string({ maxLength: 200 }), fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', ':', ',', '1', 'a') , maxLength: 200 })), (text) => {
        try {
          const value = parseJsonBody(text, 'application/json');
          if (text.trim() === '') expect(value).toBeUndefined();
          else expect(value).toEqual(JSON.parse(text));
        } catch (err) {
          expect(err).toBeInstanceOf(ApiError);
          const e = err as ApiError;
          expect(e.status >= 400 && e.status < 500).toBe(true);
          expect(e.message).not.toMatch(/\n|at Object\./);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts exactly the limits and refuses one past each', () => {
    const limits = { maxBytes: 1024, maxDepth: 4, maxArrayLength: 3 };
    expect(parseJsonBody('[[[[1]]]]', undefined, limits)).toEqual([[[[1]]]]);
    expect(() => parseJsonBody('[[[[[1]]]]]', undefined, limits)).toThrow(/more than 4 levels deep/);
    expect(parseJsonBody('{"a":[1,2,3]}', undefined, limits)).toEqual({ a: [1, 2, 3] });
    expect(() => parseJsonBody('{"a":[1,2,3,4]}', undefined, limits)).toThrow("'a' has 4 elements; at most 3 are accepted");
    expect(parseJsonBody(`"${'x'.repeat(1022)}"`, undefined, limits)).toHaveLength(1022);
    const over = (() => {
      try {
        parseJsonBody(`"${'é'.repeat(512)}"`, undefined, limits);
      } catch (e) {
        return e as ApiError;
      }
      return undefined;
    })();
    expect([over?.status, over?.code]).toEqual([413, 'PayloadTooLarge']);
    expect(DEFAULT_BODY_LIMITS).toEqual({ maxBytes: 262144, maxDepth: 32, maxArrayLength: 10000 });
  });

  it('names the path of a forbidden key or a control character in a key', () => {
    expect(() => parseJsonBody('{"a":[{"b":{"prototype":1}}]}', undefined)).toThrow("The field name 'prototype' is not accepted (at 'a[0].b.prototype')");
    expect(() => parseJsonBody('{"a":{"x\\u0000y":1}}', undefined)).toThrow("A field name at 'a' contains control characters");
    expect(() => parseJsonBody('{"we ird":{"__proto__":1}}', undefined)).toThrow('at \'["we ird"].__proto__\'');
  });
});
