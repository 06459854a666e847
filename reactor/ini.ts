/**
 * The INI syntax of Lars config files, parsed without a dependency (importing
 * `npm:ini`, the parser used before, cost the agent about 8 MiB of RSS for
 * Deno's npm support). It reads what `npm:ini` 7 read, value for value; only
 * the order of sections differs where npm:ini moved dotted names last (here
 * every section comes in file order):
 *
 * - Lines are split at `\n`, `\r\n` and `\r`, and trimmed. Empty lines and
 *   lines starting with `;` or `#` are comments.
 * - `[name]` starts a section (a `;` or `#` comment may follow); keys before
 *   any section belong to section `""`. A section named again continues it.
 *   Dots are part of a name (`[a.b]` is one section, not `b` inside `a`).
 * - `key = value` sets a key (the first `=` splits); a later line with the
 *   same key wins. `key[] = value` lines make a list.
 * - A value (and a key, and a section name) is trimmed and cut at the first
 *   `;` or `#` (an inline comment) unless that is escaped as `\;` or `\#`. A
 *   value in double quotes is read as a JSON string (`"a;b"`, `"a\nb"`); in
 *   single quotes, its inside is read as JSON when it is JSON, else taken as
 *   it is.
 * - Any other line is an error naming the line. Section and key `__proto__`
 *   are ignored.
 *
 * {@linkcode Config} (config.ts) reads files with it and adds typed getters.
 *
 * @example
 * ```ts
 * import { parseIni } from "./ini.ts";
 * const sections = parseIni("[reporter]\nip = 127.0.0.1 ; loopback\nport = 7779\n");
 * console.log(sections.get("reporter")?.get("ip")); // "127.0.0.1"
 * ```
 *
 * @module
 */

/** A value as read: one string, or a list for `key[] = ...` lines. */
export type IniValue = string | string[];

/** A line that is neither a comment, a `[section]` nor `key = value`. */
export class IniSyntaxError extends SyntaxError {
  /** Always `"IniSyntaxError"`. */
  override name = "IniSyntaxError";
  /** 1-based number of the line. */
  readonly line: number;

  /** `line N: expected "[section]" or "key = value", got "TEXT"` (the text cut at 60 chars). */
  constructor(line: number, text: string) {
    const shown = JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}...` : text);
    super(`line ${line}: expected "[section]" or "key = value", got ${shown}`);
    this.line = line;
  }
}

const SECTION_LINE = /^\[([^\]]*)\]\s*([;#].*)?$/;

/**
 * Parses INI `text` into `section -> key -> value`, sections and keys in file
 * order; see the module documentation for the syntax.
 *
 * @throws {IniSyntaxError} on a line that is not a comment, section or `key = value`
 */
export function parseIni(text: string): Map<string, Map<string, IniValue>> {
  const sections = new Map<string, Map<string, unknown>>();
  // Keys under a `__proto__` section are read and dropped.
  let keys: Map<string, unknown> | null = null;
  const lines = text.split(/\r?\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "" || line.startsWith(";") || line.startsWith("#")) continue;
    const header = SECTION_LINE.exec(line);
    if (header) {
      const name = String(_unquote(header[1]));
      keys = name === "__proto__" ? new Map() : _section(sections, name);
      continue;
    }
    const eq = line.indexOf("=");
    if (eq <= 0 || line.slice(0, eq).trim() === "") throw new IniSyntaxError(i + 1, line);
    let key = String(_unquote(line.slice(0, eq)));
    const list = key.length > 2 && key.endsWith("[]");
    if (list) key = key.slice(0, -2);
    if (key === "__proto__") continue;
    keys ??= _section(sections, "");
    const value = _unquote(line.slice(eq + 1));
    const had = keys.get(key);
    if (Array.isArray(had)) had.push(value);
    else if (list) keys.set(key, had === undefined ? [value] : [had, value]);
    else keys.set(key, value);
  }
  const out = new Map<string, Map<string, IniValue>>();
  for (const [name, values] of sections) {
    const strings = new Map<string, IniValue>();
    for (const [key, value] of values) {
      strings.set(key, Array.isArray(value) ? value.map((v) => String(v)) : String(value));
    }
    out.set(name, strings);
  }
  return out;
}

function _section(sections: Map<string, Map<string, unknown>>, name: string) {
  let keys = sections.get(name);
  if (keys === undefined) sections.set(name, keys = new Map());
  return keys;
}

/**
 * A key, value or section name as written: quoted text read as JSON (which may
 * give a number, list or object for single quotes: kept, as npm:ini did),
 * else the text before the first unescaped `;` or `#`, trimmed.
 */
function _unquote(raw: string): unknown {
  let text = raw.trim();
  const quote = text[0];
  if ((quote === '"' || quote === "'") && text.endsWith(quote)) {
    if (quote === "'") text = text.slice(1, -1);
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  let out = "";
  let escaped = false;
  for (const c of text) {
    if (escaped) {
      out += c === "\\" || c === ";" || c === "#" ? c : `\\${c}`;
      escaped = false;
    } else if (c === ";" || c === "#") {
      break;
    } else if (c === "\\") {
      escaped = true;
    } else {
      out += c;
    }
  }
  if (escaped) out += "\\";
  return out.trim();
}
