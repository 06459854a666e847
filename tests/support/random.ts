/**
 * Seeded pseudo-random numbers for property tests: print the seed on failure
 * so a run can be repeated with `LARS_SEED=...`.
 *
 * @module
 */

/** A mulberry32 generator returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed for this run: `LARS_SEED` when set, else a fresh one. */
export function testSeed(): number {
  const fromEnv = Deno.env.get("LARS_SEED");
  return fromEnv ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 32);
}

/** Runs `body` with a seeded generator and names the seed when it throws. */
export function withSeed(body: (random: () => number) => void): void {
  const seed = testSeed();
  try {
    body(mulberry32(seed));
  } catch (err) {
    throw new Error(`property failed with LARS_SEED=${seed}`, { cause: err });
  }
}

/** Integer in `[min, max]`. */
export function randInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}
