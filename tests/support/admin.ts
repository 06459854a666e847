// deno-lint-ignore-file no-explicit-any -- JSON bodies of the admin endpoint
/**
 * Helpers for tests of the admin endpoint: find its URL in a service's log,
 * read Prometheus text, fetch JSON.
 *
 * @module
 */

/** The admin URL a service logged (`admin endpoint on http://…`). */
export function adminUrlIn(log: string): string | null {
  return log.match(/admin endpoint on (http:\/\/[0-9.]+:\d+)/)?.[1] ?? null;
}

/** GETs `url`; resolves to the status and the parsed JSON body. */
export async function getJson(url: string): Promise<{ status: number; body: any }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}

/** GETs `/metrics` and parses it. */
export async function scrape(base: string): Promise<Metrics> {
  const response = await fetch(`${base}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  return new Metrics(await response.text());
}

/** Prometheus text, parsed. */
export class Metrics {
  /** Sample lines: `name{labels}` -> value. */
  readonly samples = new Map<string, number>();
  /** Metric names from `# TYPE` lines, with their types. */
  readonly types = new Map<string, string>();

  constructor(readonly text: string) {
    for (const line of text.split("\n")) {
      const type = line.match(/^# TYPE (\S+) (\S+)$/);
      if (type) this.types.set(type[1], type[2]);
      if (line === "" || line.startsWith("#")) continue;
      const at = line.lastIndexOf(" ");
      this.samples.set(line.slice(0, at), Number(line.slice(at + 1)));
    }
  }

  /** The value of `name` with exactly `labels` (in the given order), or undefined. */
  value(name: string, labels: Record<string, string> = {}): number | undefined {
    const entries = Object.entries(labels);
    const key = entries.length === 0
      ? name
      : `${name}{${entries.map(([k, v]) => `${k}="${v}"`).join(",")}}`;
    return this.samples.get(key);
  }
}
