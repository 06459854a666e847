/**
 * Line logger for services: one line per event on stderr, written at once
 * (the original's fully buffered stdout lost its last lines on a crash).
 * Level from `LARS_LOG` (`debug`, `info`, `warn`, `error`; default `info`).
 * Format from `LARS_LOG_FORMAT` (`text` or `json`; default `text`), or
 * {@linkcode setLogFormat} (the services' `[log] format`).
 *
 * @module
 */

/** Log levels, least to most severe. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** How lines are written: `text` for people, `json` (one object per line) for collectors. */
export type LogFormat = "text" | "json";

/** Structured fields of a line; in the `json` format they become keys of its object. */
export type LogFields = Record<string, string | number | boolean | null>;

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const FORMATS: readonly LogFormat[] = ["text", "json"];

function envValue(name: string): string | undefined {
  try {
    const deno = (globalThis as { Deno?: typeof Deno }).Deno;
    // Ask first: a plain env.get would prompt apps that import the client without --allow-env.
    if (!deno) {
      // Bun and Node have no permissions: their process.env.
      return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
        ?.env?.[name];
    }
    const state = deno.permissions.querySync({ name: "env", variable: name }).state;
    return state === "granted" ? deno.env.get(name) : undefined;
  } catch {
    // No --allow-env: keep the default.
    return undefined;
  }
}

function envLevel(): LogLevel {
  const value = envValue("LARS_LOG");
  return value && value in LEVELS ? value as LogLevel : "info";
}

function envFormat(): LogFormat {
  const value = envValue("LARS_LOG_FORMAT");
  return FORMATS.includes(value as LogFormat) ? value as LogFormat : "text";
}

let threshold = LEVELS[envLevel()];
let format: LogFormat = envFormat();
const encoder = new TextEncoder();

/** Sets the lowest level that is written, for all loggers. */
export function setLogLevel(level: LogLevel): void {
  threshold = LEVELS[level];
}

/** Sets the line format, for all loggers of this isolate (workers set their own). */
export function setLogFormat(value: LogFormat): void {
  format = value;
}

/** The line format in effect. */
export function logFormat(): LogFormat {
  return format;
}

/** True when `value` names a {@linkcode LogFormat}. */
export function isLogFormat(value: string): value is LogFormat {
  return FORMATS.includes(value as LogFormat);
}

let writer: ((line: string) => void) | null = null;

/**
 * Sends every line of this isolate to `sink` instead of stderr (null: back to
 * stderr); for tests and for programs that embed a service.
 */
export function setLogWriter(sink: ((line: string) => void) | null): void {
  writer = sink;
}

/** Most keys {@linkcode Logger.warnThrottled} tracks; further keys share one throttle. */
const MAX_THROTTLE_KEYS = 100;

function write(line: string): void {
  if (writer) return writer(line);
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  if (deno?.stderr) deno.stderr.writeSync(encoder.encode(line + "\n"));
  else console.error(line);
}

/** A named logger; see {@linkcode createLogger}. */
export interface Logger {
  /** Detail for debugging. */
  debug(message: string, fields?: LogFields): void;
  /** Normal events: started, connected, reloaded. */
  info(message: string, fields?: LogFields): void;
  /** Something wrong that the service survives. */
  warn(message: string, fields?: LogFields): void;
  /** Something wrong that loses work or stops the service. */
  error(message: string, fields?: LogFields): void;
  /**
   * Logs a warning at most once per `intervalMs` for `key`, with how many were
   * suppressed in between; for floods such as garbage datagrams. Keys must not
   * come from input; past 100 keys, new ones share one throttle.
   */
  warnThrottled(key: string, message: string, intervalMs?: number): void;
}

/**
 * Creates a logger. Text lines read `2026-11-21T12:00:00.000Z INFO dns: text`;
 * JSON lines read `{"ts":"…","level":"info","logger":"dns","msg":"text",…fields}`.
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
  const emit = (level: LogLevel, message: string, fields?: LogFields) => {
    if (LEVELS[level] < threshold) return;
    const ts = new Date().toISOString();
    if (format === "json") {
      const line: Record<string, unknown> = { ts, level, logger: name, msg: message };
      for (const key in fields) if (!(key in line)) line[key] = fields[key];
      write(JSON.stringify(line));
    } else {
      write(`${ts} ${level.toUpperCase()} ${name}: ${message}`);
    }
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    warnThrottled(key, message, intervalMs = 10_000) {
      const now = Date.now();
      // Bounded: a flood of distinct keys shares one throttle, and the map stops growing.
      if (!lastWarn.has(key) && lastWarn.size >= MAX_THROTTLE_KEYS) key = "\0overflow";
      const seen = lastWarn.get(key);
      if (seen && now - seen.at < intervalMs) {
        seen.suppressed++;
        return;
      }
      const extra = seen && seen.suppressed > 0 ? ` (${seen.suppressed} more suppressed)` : "";
      lastWarn.set(key, { at: now, suppressed: 0 });
      emit("warn", message + extra);
    },
  };
}

/** Options of a {@linkcode LogBudget}. */
export interface LogBudgetOptions {
  /**
   * Lines written per period; more are counted and summed up in one line.
   * @default 20
   */
  lines?: number;
  /**
   * Length of a period in ms.
   * @default 10000
   */
  periodMs?: number;
  /** Clock in ms, for tests. */
  now?: () => number;
}

/**
 * A bound on the info lines one kind of event can write, for events whose rate
 * peers control (hosts entering and leaving overload, route pushes): at most
 * `lines` per `periodMs`; the next line after a full period says how many were
 * left out.
 *
 * @example
 * ```ts
 * import { createLogger, LogBudget } from "./log.ts";
 * const budget = new LogBudget(createLogger("agent"), "host state changes", { lines: 2 });
 * for (let i = 0; i < 5; i++) budget.info(`event ${i}`); // writes 2 lines, counts 3
 * ```
 */
export class LogBudget {
  readonly #log: Logger;
  readonly #what: string;
  readonly #lines: number;
  readonly #periodMs: number;
  readonly #now: () => number;
  #periodStart = -Infinity;
  #written = 0;
  #suppressed = 0;

  /** Bounds the info lines about `what` written to `log`. */
  constructor(log: Logger, what: string, options: LogBudgetOptions = {}) {
    this.#log = log;
    this.#what = what;
    this.#lines = options.lines ?? 20;
    this.#periodMs = options.periodMs ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Lines left out so far in the current period. */
  get suppressed(): number {
    return this.#suppressed;
  }

  /** Writes `message` at info when the budget allows, else counts it. */
  info(message: string, fields?: LogFields): void {
    if (!this.#take()) return;
    this.#log.info(message, fields);
  }

  /** True when one more line may be written now; writes the summary of a past period first. */
  #take(): boolean {
    const now = this.#now();
    if (now - this.#periodStart >= this.#periodMs) {
      if (this.#suppressed > 0) {
        this.#log.info(
          `${this.#suppressed} more ${this.#what} were not logged (at most ${this.#lines} ` +
            `lines per ${this.#periodMs / 1000} s)`,
          { suppressed: this.#suppressed },
        );
      }
      this.#periodStart = now;
      this.#written = 0;
      this.#suppressed = 0;
    }
    if (this.#written >= this.#lines) {
      this.#suppressed++;
      return false;
    }
    this.#written++;
    return true;
  }
}
