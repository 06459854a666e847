/**
 * INI config reader for Lars config files (`conf/lars_*.conf`), the rebuild of the original
 * reactor's `config_file`.
 *
 * Syntax: `[section]`, `key = value`, whole-line and inline comments starting with `;` or `#`,
 * whitespace trimmed, values may be quoted (`"a;b"`) to keep a `;` or `#`. Lookups of sections
 * and keys are exact (case-sensitive), as in the original. `${NAME}` anywhere in a value is
 * replaced by the environment variable `NAME` (`url = mysql://lars:${DB_PASSWD}@db:3306/lars`), so
 * secrets need not sit in the file.
 *
 * @module
 */
import process from "node:process";
import { readTextFile } from "./files.ts";
import { IniSyntaxError, type IniValue, parseIni } from "./ini.ts";
import { errorText } from "./text.ts";

/** Raised for a config file that cannot be read, a syntax error, a missing key or a bad value. */
export class ConfigError extends Error {
  /** Always `"ConfigError"`. */
  override name = "ConfigError";
  /** The config file name, as given to {@linkcode Config.load} or {@linkcode Config.parse}. */
  readonly file: string;
  /** The section concerned, or `undefined` for errors about the whole file. */
  readonly section: string | undefined;
  /** The key concerned, or `undefined` for errors about the whole file or a line. */
  readonly key: string | undefined;

  /** Builds the message `FILE: [SECTION] KEY: DETAIL` (or `FILE: DETAIL` without a key). */
  constructor(
    file: string,
    section: string | undefined,
    key: string | undefined,
    detail: string,
    options?: ErrorOptions,
  ) {
    const where = key === undefined ? "" : ` [${section ?? ""}] ${key}:`;
    super(`${file}:${where} ${detail}`, options);
    this.file = file;
    this.section = section;
    this.key = key;
  }
}

/** A section name, or several spellings of one, tried in order (e.g. `["reporter", "repoter"]`). */
export type SectionName = string | readonly string[];

/** Bounds for {@linkcode Config.int} and {@linkcode Config.number}. */
export interface RangeOptions {
  /** Smallest accepted value. @default -Infinity (no lower bound) */
  min?: number;
  /** Largest accepted value. @default Infinity (no upper bound) */
  max?: number;
}

/** Options for {@linkcode Config.load} and {@linkcode Config.parse}. */
export interface ConfigOptions {
  /**
   * Reads an environment variable for `${NAME}` values; only called for values that use it.
   * @default a reader over `Deno.env.get` that turns a missing `--allow-env` into a ConfigError
   */
  env?: (name: string) => string | undefined;
}

type RawValue = IniValue;

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const IPV4_PART = /^(0|[1-9]\d{0,2})$/;
const TRUE_WORDS = new Set(["true", "1", "yes", "on"]);
const FALSE_WORDS = new Set(["false", "0", "no", "off"]);

/** A parsed INI config file with typed, validating getters. */
export class Config {
  readonly #file: string;
  readonly #sections: Map<string, Map<string, RawValue>>;
  readonly #env: (name: string) => string | undefined;

  private constructor(
    file: string,
    sections: Map<string, Map<string, RawValue>>,
    env: (name: string) => string | undefined,
  ) {
    this.#file = file;
    this.#sections = sections;
    this.#env = env;
  }

  /**
   * Reads and parses the config file at `path`.
   * @throws {ConfigError} if the file cannot be read or has a syntax error
   */
  static async load(path: string | URL, options: ConfigOptions = {}): Promise<Config> {
    const file = path instanceof URL ? decodeURIComponent(path.pathname) : path;
    let text: string;
    try {
      text = await readTextFile(path);
    } catch (err) {
      const why = (err as { code?: string }).code === "ENOENT" ? "no such file" : errorText(err);
      throw new ConfigError(file, undefined, undefined, `cannot read config file: ${why}`, {
        cause: err,
      });
    }
    return Config.parse(text, file, options);
  }

  /**
   * Parses INI `text`; `fileName` is only used in error messages.
   * @throws {ConfigError} on a line that is neither `[section]`, `key = value` nor a comment
   */
  static parse(text: string, fileName: string, options: ConfigOptions = {}): Config {
    let sections: Map<string, Map<string, RawValue>>;
    try {
      sections = parseIni(text);
    } catch (err) {
      if (!(err instanceof IniSyntaxError)) throw err;
      throw new ConfigError(fileName, undefined, undefined, err.message);
    }
    return new Config(fileName, sections, options.env ?? _denoEnv);
  }

  /** The file name given to {@linkcode Config.load} or {@linkcode Config.parse}. */
  get file(): string {
    return this.#file;
  }

  /** Section names in file order; keys before any `[section]` belong to section `""`. */
  sections(): string[] {
    return [...this.#sections.keys()];
  }

  /** Key names of `section` in file order (empty if the section is absent). */
  keys(section: string): string[] {
    return [...(this.#sections.get(section)?.keys() ?? [])];
  }

  /**
   * Names of the environment variables that values of this file refer to as `${NAME}`,
   * sorted, each once: what a process reading this file needs to be allowed to read.
   */
  envNames(): string[] {
    const names = new Set<string>();
    for (const keys of this.#sections.values()) {
      for (const raw of keys.values()) {
        for (const text of Array.isArray(raw) ? raw : [raw]) {
          for (const m of text.matchAll(ENV_REF)) names.add(m[1]);
        }
      }
    }
    return [...names].sort();
  }

  /** The first of `names` that is a section of this file, or `undefined` if none is. */
  firstSection(names: readonly string[]): string | undefined {
    return names.find((name) => this.#sections.has(name));
  }

  /** Whether `key` is set in `section` (in any of its spellings). */
  has(section: SectionName, key: string): boolean {
    return this.#find(section, key) !== undefined;
  }

  /**
   * The value of `key` as a string, or `defaultValue` when it is absent.
   * @throws {ConfigError} if it is absent with no default, or is a list (`key[] = ...`)
   */
  string(section: SectionName, key: string, defaultValue?: string): string {
    const found = this.#lookup(section, key, defaultValue);
    return found.isDefault ? found.default : found.value;
  }

  /**
   * The value of `key` as a safe integer within `range`, or `defaultValue` when it is absent.
   * @throws {ConfigError} if it is absent with no default, not an integer, or out of range
   */
  int(section: SectionName, key: string, defaultValue?: number, range: RangeOptions = {}): number {
    const found = this.#lookup(section, key, defaultValue);
    if (found.isDefault) return found.default;
    const n = INTEGER.test(found.value) ? Number(found.value) : NaN;
    if (!Number.isSafeInteger(n) || !_inRange(n, range)) {
      throw this.#bad(found, `expected an integer${_rangeText(range)}`);
    }
    return n;
  }

  /**
   * The value of `key` as a finite decimal number within `range`, or `defaultValue` when absent.
   * @throws {ConfigError} if it is absent with no default, not a number, or out of range
   */
  number(
    section: SectionName,
    key: string,
    defaultValue?: number,
    range: RangeOptions = {},
  ): number {
    const found = this.#lookup(section, key, defaultValue);
    if (found.isDefault) return found.default;
    const n = DECIMAL.test(found.value) ? Number(found.value) : NaN;
    if (!Number.isFinite(n) || !_inRange(n, range)) {
      throw this.#bad(found, `expected a number${_rangeText(range)}`);
    }
    return n;
  }

  /**
   * The value of `key` as a boolean (`true/false`, `1/0`, `yes/no`, `on/off`, any case).
   * @throws {ConfigError} if it is absent with no default or is another word
   */
  bool(section: SectionName, key: string, defaultValue?: boolean): boolean {
    const found = this.#lookup(section, key, defaultValue);
    if (found.isDefault) return found.default;
    const word = found.value.toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
    throw this.#bad(found, "expected a boolean (true/false, 1/0, yes/no, on/off)");
  }

  /**
   * The value of `key` as a TCP/UDP port in 1..65535, or `defaultValue` when it is absent.
   * @throws {ConfigError} if it is absent with no default or not a port
   */
  port(section: SectionName, key: string, defaultValue?: number): number {
    const found = this.#lookup(section, key, defaultValue);
    if (found.isDefault) return found.default;
    const n = INTEGER.test(found.value) ? Number(found.value) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > 65535) {
      throw this.#bad(found, "expected a port in 1..65535");
    }
    return n;
  }

  /**
   * The value of `key` as a port to listen on, in 0..65535 (0 lets the OS pick
   * a free one; the service logs the port it bound), or `defaultValue`.
   * @throws {ConfigError} if it is absent with no default or not a port
   */
  listenPort(section: SectionName, key: string, defaultValue?: number): number {
    const found = this.#lookup(section, key, defaultValue);
    if (found.isDefault) return found.default;
    const n = INTEGER.test(found.value) ? Number(found.value) : NaN;
    if (!Number.isInteger(n) || n < 0 || n > 65535) {
      throw this.#bad(found, "expected a port in 0..65535 (0: any free port)");
    }
    return n;
  }

  /**
   * The value of `key` as a dotted-quad IPv4 address (`127.0.0.1`), or `defaultValue`.
   * @throws {ConfigError} if it is absent with no default or not a dotted quad
   */
  ipv4(section: SectionName, key: string, defaultValue?: string): string {
    const found = this.#lookup(section, key, defaultValue);
    if (found.isDefault) return found.default;
    const parts = found.value.split(".");
    const ok = parts.length === 4 &&
      parts.every((p) => IPV4_PART.test(p) && Number(p) <= 255);
    if (!ok) throw this.#bad(found, "expected an IPv4 address (dotted quad)");
    return found.value;
  }

  #find(section: SectionName, key: string): { section: string; raw: RawValue } | undefined {
    for (const name of typeof section === "string" ? [section] : section) {
      const raw = this.#sections.get(name)?.get(key);
      if (raw !== undefined) return { section: name, raw };
    }
    return undefined;
  }

  #lookup<T>(section: SectionName, key: string, defaultValue: T | undefined): _Found<T> {
    const names = typeof section === "string" ? [section] : [...section];
    if (names.length === 0) throw new TypeError("Cannot look up a key: no section name given");
    const hit = this.#find(section, key);
    if (hit === undefined) {
      if (defaultValue !== undefined) return { isDefault: true, default: defaultValue };
      const also = names.slice(1).map((n) => `[${n}]`).join(", ");
      const detail = also
        ? `missing required value (also looked in ${also})`
        : "missing required value";
      throw new ConfigError(this.#file, names[0], key, detail);
    }
    if (Array.isArray(hit.raw)) {
      throw new ConfigError(this.#file, hit.section, key, "expected a single value, got a list");
    }
    const refs = [...hit.raw.matchAll(ENV_REF)].map((m) => m[1]);
    if (refs.length === 0) {
      const value = hit.raw;
      return { isDefault: false, section: hit.section, key, value, envNames: [], wholeEnv: false };
    }
    const values = new Map<string, string>();
    for (const envName of refs) {
      let value: string | undefined;
      try {
        value = this.#env(envName);
      } catch (err) {
        const detail = `cannot read environment variable ${envName}: ${errorText(err)}`;
        throw new ConfigError(this.#file, hit.section, key, detail, { cause: err });
      }
      if (value === undefined) {
        const detail = `environment variable ${envName} is not set`;
        throw new ConfigError(this.#file, hit.section, key, detail);
      }
      values.set(envName, value);
    }
    const value = hit.raw.replace(ENV_REF, (_, name: string) => values.get(name)!);
    // A value that is only a reference is trimmed, like a value written in the file.
    const whole = refs.length === 1 && hit.raw === `\${${refs[0]}}`;
    return {
      isDefault: false,
      section: hit.section,
      key,
      value: whole ? value.trim() : value,
      envNames: refs,
      wholeEnv: whole,
    };
  }

  #bad(found: _Present, expected: string): ConfigError {
    // Values from the environment may be secrets: name the variable, never print the value.
    const names = found.envNames.join(", ");
    const got = found.envNames.length === 0
      ? JSON.stringify(found.value)
      : found.wholeEnv
      ? `the value of environment variable ${names}`
      : `a value made with environment variables ${names}`;
    return new ConfigError(this.#file, found.section, found.key, `${expected}, got ${got}`);
  }
}

interface _Present {
  isDefault: false;
  section: string;
  key: string;
  value: string;
  /** Variables named by `${NAME}` in the value. */
  envNames: string[];
  /** True when the value is exactly one `${NAME}`. */
  wholeEnv: boolean;
}

type _Found<T> = _Present | { isDefault: true; default: T };

function _denoEnv(name: string): string | undefined {
  // node:process works on Deno, Bun and Node; on Deno it still needs --allow-env.
  return process.env[name];
}

function _inRange(n: number, range: RangeOptions): boolean {
  return n >= (range.min ?? -Infinity) && n <= (range.max ?? Infinity);
}

function _rangeText(range: RangeOptions): string {
  const { min, max } = range;
  if (min !== undefined && max !== undefined) return ` in ${min}..${max}`;
  if (min !== undefined) return ` >= ${min}`;
  if (max !== undefined) return ` <= ${max}`;
  return "";
}
