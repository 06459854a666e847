/**
 * The one seeded pseudo-random generator of the tests, and the one seed
 * variable: a failing property names its seed, and `LARS_SEED=<seed>` runs
 * that case again.
 *
 * @module
 */
import { errorText } from "../../reactor/text.ts";

/** A generator of floats in [0, 1). */
export type Random = () => number;

/** A mulberry32 generator returning floats in [0, 1). */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `LARS_SEED` as a number, or undefined when it is not set. */
function _seedFromEnv(): number | undefined {
  const text = Deno.env.get("LARS_SEED");
  if (text === undefined || text === "") return undefined;
  const seed = Number(text);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xFFFFFFFF) {
    throw new RangeError(`LARS_SEED must be an integer in 0..4294967295, got "${text}"`);
  }
  return seed;
}

/** The seed for this run: `LARS_SEED` when set, else a fresh one. */
export function testSeed(): number {
  return _seedFromEnv() ?? Math.floor(Math.random() * 2 ** 32);
}

/** `count` fresh seeds, or only `LARS_SEED` when it is set. */
export function testSeeds(count: number): number[] {
  const fixed = _seedFromEnv();
  if (fixed !== undefined) return [fixed];
  return Array.from({ length: count }, () => Math.floor(Math.random() * 2 ** 32));
}

/** Runs `body` with a generator seeded with `seed` and names the seed when it throws. */
export function runWithSeed<T>(seed: number, body: (random: Random) => T): T {
  try {
    return body(mulberry32(seed));
  } catch (err) {
    throw new Error(`Property failed with LARS_SEED=${seed}: ${errorText(err)}`, { cause: err });
  }
}

/** Runs `body` with a generator seeded with {@linkcode testSeed}; see {@linkcode runWithSeed}. */
export function withSeed(body: (random: Random) => void): void {
  runWithSeed(testSeed(), body);
}

/** Integer in `[min, max]`. */
export function randInt(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}
