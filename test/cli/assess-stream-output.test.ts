/**
 * cli/output.ts writeOutput / writeJsonArray: a large list in -o json is written in pieces of about 64 KB,
 * and the pieces joined are exactly formatJson's text (what `-o json` printed whole before).
 */
import fc from 'fast-check';
import { fleetAssessTable } from '../../cli/transformers';
import { formatJson, formatOutput, OUTPUT_CHUNK_CHARS, writeJsonArray, writeOutput } from '../../cli/output';
import { assessFleet } from '../../shared/assess';
import type { Assessment } from '../../shared/model/assessment';
import { generateFleet } from '../../sim/generate';

function collect(run: (write: (t: string) => void) => void): string[] {
  const pieces: string[] = [];
  run((t) => pieces.push(t));
  return pieces;
}

let fleet: Assessment[];
beforeAll(() => {
  fleet = assessFleet(generateFleet({ clusters: 400, subscriptions: 3, seed: 'h15-writer' }), { target: 'overlay+cilium' });
});

describe('writeJsonArray', () => {
  it('a real fleet assessment: same bytes as formatJson, in pieces no larger than 64 KB plus one item', () => {
    const pieces = collect((w) => writeJsonArray(fleet, w));
    expect(pieces.join('')).toBe(formatJson(fleet));
    expect(pieces.length).toBeGreaterThan(1);
    const largestItem = Math.max(...fleet.map((a) => JSON.stringify(a, null, 2).length));
    for (const p of pieces) expect(p.length).toBeLessThan(OUTPUT_CHUNK_CHARS + largestItem + 16);
    // Every piece but the last is at least a chunk: not one write per item.
    for (const p of pieces.slice(0, -1)) expect(p.length).toBeGreaterThanOrEqual(OUTPUT_CHUNK_CHARS);
  });

  it('empty and one-item lists, and items JSON.stringify turns into null', () => {
    expect(collect((w) => writeJsonArray([], w))).toEqual(['[]\n']);
    expect(collect((w) => writeJsonArray([fleet[0]], w)).join('')).toBe(formatJson([fleet[0]]));
    const odd: unknown[] = [undefined, () => 1, Symbol('s'), null, { a: undefined, b: [undefined] }, 'line\nbreak', new Date(0)];
    expect(collect((w) => writeJsonArray(odd, w)).join('')).toBe(formatJson(odd));
    // eslint-disable-next-line no-sparse-arrays
    const sparse = [1, , 3];
    expect(collect((w) => writeJsonArray(sparse, w)).join('')).toBe(formatJson(sparse));
  });

  it('any JSON array: same bytes as formatJson (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue({ maxDepth: 4 }), { maxLength: 30 }), (items) => {
        expect(collect((w) => writeJsonArray(items, w)).join('')).toBe(formatJson(items));
      }),
      { numRuns: 300 },
    );
  });
});

describe('writeOutput', () => {
  it('-o json and uncolored jsonc of a list: written in pieces, same bytes', () => {
    for (const format of ['json', 'jsonc'] as const) {
      const pieces = collect((w) => writeOutput(fleet, format, w, { color: false }));
      expect(pieces.length).toBeGreaterThan(1);
      expect(pieces.join('')).toBe(formatOutput(fleet, format));
    }
  });

  it('with --query, colored jsonc, other formats or a non-list: formatOutput in one write', () => {
    const cases: Array<[unknown, Parameters<typeof writeOutput>[1], Parameters<typeof writeOutput>[3]]> = [
      [fleet, 'json', { queried: true }],
      [fleet, 'jsonc', { color: true }],
      [fleet.slice(0, 20), 'table', { tableTransformer: fleetAssessTable }],
      [fleet.slice(0, 20), 'tsv', {}],
      [fleet.slice(0, 5), 'yaml', {}],
      [fleet, 'none', {}],
      [{ id: 'x', steps: [] }, 'json', {}],
      [undefined, 'json', {}],
    ];
    for (const [data, format, opts] of cases) {
      const pieces = collect((w) => writeOutput(data, format, w, opts));
      expect(pieces).toEqual([formatOutput(data, format, opts)]);
    }
  });

  it('an array with its own toJSON is written whole, as JSON.stringify would', () => {
    const custom = Object.assign([1, 2], { toJSON: () => 'custom' });
    expect(collect((w) => writeOutput(custom, 'json', w)).join('')).toBe('"custom"\n');
  });
});
