/**
 * Line logger for services: one line per event on stderr, written at once
 * (the original's fully buffered stdout lost its last lines on a crash).
 * Level from `LARS_LOG` (`debug`, `info`, `warn`, `error`; default `info`).
 *
 * @module
 */

/** Log levels, least to most severe. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function envLevel(): LogLevel {
  try {
    const deno = (globalThis as { Deno?: typeof Deno }).Deno;
    // Ask first: a plain env.get would prompt apps that import the client without --allow-env.
    const state = deno?.permissions.querySync({ name: "env", variable: "LARS_LOG" }).state;
    const value = state === "granted" ? deno?.env.get("LARS_LOG") : undefined;
    if (value && value in LEVELS) return value as LogLevel;
  } catch {
    // No --allow-env: keep the default.
  }
  return "info";
}

let threshold = LEVELS[envLevel()];
/** Most keys a logger's throttle remembers; memory does not grow with what peers send. */
export const MAX_THROTTLE_KEYS = 256;
const encoder = new TextEncoder();

/** Sets the lowest level that is written, for all loggers. */
export function setLogLevel(level: LogLevel): void {
  threshold = LEVELS[level];
}

function write(line: string): void {
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  if (deno?.stderr) deno.stderr.writeSync(encoder.encode(line + "\n"));
  else console.error(line);
}

/** A named logger; see {@linkcode createLogger}. */
export interface Logger {
  /** Detail for debugging. */
  debug(message: string): void;
  /** Normal events: started, connected, reloaded. */
  info(message: string): void;
  /** Something wrong that the service survives. */
  warn(message: string): void;
  /** Something wrong that loses work or stops the service. */
  error(message: string): void;
  /**
   * Logs a warning at most once per `intervalMs` for `key`, with how many were
   * suppressed in between; for floods such as garbage datagrams.
   */
  warnThrottled(key: string, message: string, intervalMs?: number): void;
}

/** Makes room in a full throttle map: drops expired keys, else the oldest one. */
function forgetOldest(
  lastWarn: Map<string, { at: number; suppressed: number }>,
  now: number,
  intervalMs: number,
): void {
  for (const [key, entry] of lastWarn) {
    if (now - entry.at >= intervalMs) lastWarn.delete(key);
  }
  if (lastWarn.size >= MAX_THROTTLE_KEYS) lastWarn.delete(lastWarn.keys().next().value!);
}

/**
 * Creates a logger whose lines read `2026-11-21T12:00:00.000Z INFO dns: text`.
 *
 * @example
 * ```ts
 * import { createLogger } from "./log.ts";
 * const log = createLogger("dns");
 * log.debug("hidden unless LARS_LOG=debug");
 * ```
 */
export function createLogger(name: string): Logger {
  const lastWarn = new Map<string, { at: number; suppressed: number }>();
  const emit = (level: LogLevel, message: string) => {
    if (LEVELS[level] < threshold) return;
    write(`${new Date().toISOString()} ${level.toUpperCase()} ${name}: ${message}`);
  };
  return {
    debug: (m) => emit("debug", m),
    info: (m) => emit("info", m),
    warn: (m) => emit("warn", m),
    error: (m) => emit("error", m),
    warnThrottled(key, message, intervalMs = 10_000) {
      const now = Date.now();
      const seen = lastWarn.get(key);
      if (seen && now - seen.at < intervalMs) {
        seen.suppressed++;
        return;
      }
      const extra = seen && seen.suppressed > 0 ? ` (${seen.suppressed} more suppressed)` : "";
      if (!seen && lastWarn.size >= MAX_THROTTLE_KEYS) forgetOldest(lastWarn, now, intervalMs);
      lastWarn.set(key, { at: now, suppressed: 0 });
      emit("warn", message + extra);
    },
  };
}
