/**
 * A small seeded PRNG (mulberry32) so fault injection is reproducible with `seed=N`.
 * Hand-written: no seeded generator is installed and Math.random cannot be seeded.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  chance(rate: number): boolean {
    return rate > 0 && this.next() < rate;
  }
}
