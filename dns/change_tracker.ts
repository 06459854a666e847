/**
 * Which `RouteChange` rows a DNS instance has not acted on yet. Several DNS
 * instances read the same table, so none may delete rows it has read (the
 * original did, and so only one instance pushed each change). Instead each
 * instance remembers the newest change version it has seen and reads the
 * rows from a little below it on every read:
 *
 * - Versions are not unique. The original and its web admin write
 *   `version = now in seconds`, so several changes share a version, and two
 *   transactions of the same second may commit in either order. Each read
 *   therefore starts {@linkcode ChangeTrackerOptions.overlap} versions below
 *   the newest one seen, and rows are told apart by their `id`, so a row
 *   read twice is acted on once.
 * - A change of the original's web admin in the same second as the previous
 *   one leaves `RouteVersion` unchanged. After each version change the
 *   tracker keeps asking for reads for {@linkcode ChangeTrackerOptions.settleMs}.
 * - When `RouteVersion` moved to a value that no change row explains (rows
 *   deleted by retention while the instance could not read, or a writer that
 *   writes no `RouteChange`), {@linkcode ChangeTracker.accept} reports a gap:
 *   the caller reloads the whole table instead.
 *
 * The tracker does no I/O and takes its clock as an option, so it is tested
 * with a fake clock.
 *
 * @module
 */
import type { RouteChangeRow } from "../store/types.ts";

/** Options of a {@linkcode ChangeTracker}. */
export interface ChangeTrackerOptions {
  /**
   * How many versions below the newest seen each read starts (one version is
   * one second for the original's writers).
   * @default 10
   */
  overlap?: number;
  /**
   * How long after a version change reads continue, in ms.
   * @default 2000
   */
  settleMs?: number;
  /**
   * Milliseconds now.
   * @default Date.now
   */
  clock?: () => number;
}

/** What a read brought. */
export interface ChangeRead {
  /** Rows not seen before, in the order read. */
  fresh: RouteChangeRow[];
  /** True when the version moved and no change row explains it: reload everything. */
  gap: boolean;
}

/** Tracks the `RouteChange` rows one DNS instance has acted on. */
export class ChangeTracker {
  #overlap: number;
  #settleMs: number;
  #clock: () => number;
  /** Ids of rows seen, with their versions (only those at or above `since()`). */
  #seen = new Map<number, number>();
  #watermark = 0;
  #version: number | null = null;
  #settleUntil = -Infinity;

  /** Creates a tracker that has seen nothing; call {@linkcode begin} before reading. */
  constructor(options: ChangeTrackerOptions = {}) {
    this.#overlap = options.overlap ?? 10;
    this.#settleMs = options.settleMs ?? 2000;
    this.#clock = options.clock ?? Date.now;
  }

  /** The `RouteVersion` last accepted (null before {@linkcode begin}). */
  get version(): number | null {
    return this.#version;
  }

  /** How many versions below the newest seen each read starts. */
  get overlap(): number {
    return this.#overlap;
  }

  /** The newest change version seen. */
  get watermark(): number {
    return this.#watermark;
  }

  /** How many row ids are remembered (bounded by the rows within the overlap). */
  get remembered(): number {
    return this.#seen.size;
  }

  /**
   * Starts (or restarts, after a full reload) at `version`: `rows` are the
   * change rows already reflected in the table just loaded, so they count as
   * seen. Read the version and these rows before loading the table.
   */
  begin(version: number, rows: readonly RouteChangeRow[]): void {
    this.#version = version;
    this.#watermark = Math.max(this.#watermark, version);
    for (const row of rows) this.#remember(row);
    this.#prune();
  }

  /** Whether a poll that read `version` should read the change rows. */
  shouldRead(version: number): boolean {
    return version !== this.#version || this.#clock() < this.#settleUntil;
  }

  /** The lowest change version the next read must include (`changesSince(since())`). */
  since(): number {
    return Math.max(0, this.#watermark - this.#overlap);
  }

  /**
   * Takes the rows of `changesSince(since())`, read after `RouteVersion` was
   * read as `version`. Returns the rows not seen before, and whether there is
   * a gap. The fresh rows count as seen from now on: if acting on them fails,
   * reload everything.
   */
  accept(version: number, rows: readonly RouteChangeRow[]): ChangeRead {
    const fresh: RouteChangeRow[] = [];
    for (const row of rows) {
      if (this.#seen.has(row.id)) continue;
      fresh.push(row);
      this.#remember(row);
    }
    const moved = version !== this.#version;
    let gap = false;
    if (moved) {
      this.#settleUntil = this.#clock() + this.#settleMs;
      gap = !this.#explains(version);
      this.#version = version;
    }
    this.#prune();
    return { fresh, gap };
  }

  #remember(row: RouteChangeRow): void {
    this.#seen.set(row.id, row.version);
    if (row.version > this.#watermark) this.#watermark = row.version;
  }

  /** True when a remembered row carries `version`. */
  #explains(version: number): boolean {
    for (const v of this.#seen.values()) if (v === version) return true;
    return false;
  }

  #prune(): void {
    const since = this.since();
    for (const [id, v] of this.#seen) if (v < since) this.#seen.delete(id);
  }
}
