/**
 * Seeded randomness: a host must answer the same way every time it is asked
 * (same profile, same counters' starting points), so everything a host
 * decides comes from a generator seeded by its address and the OS, never from
 * Math.random.
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

export interface Rng {
  /** Integer in [low, high], both included. */
  int(low: number, high: number): number;
  /** Float in [0, 1). */
  float(): number;
  pick<T>(items: readonly T[]): T;
  /** Standard normal draw. */
  normal(): number;
}

/** 32-bit FNV-1a of a string: turns names and addresses into seeds. */
export function hashSeed(...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const s = `${String(part)}\u0000`;
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  return h >>> 0;
}

export function seededRng(seed: number): Rng {
  const gen = xoroshiro128plus(seed | 0);
  const float = (): number => uniformInt(gen, 0, 0x3fffffff) / 0x40000000;
  return {
    int: (low, high) => (high <= low ? low : low + uniformInt(gen, 0, high - low)),
    float,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[uniformInt(gen, 0, items.length - 1)] as T;
    },
    normal() {
      // Box-Muller; 1 - u keeps log away from 0.
      const u = 1 - float();
      const v = float();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
  };
}
