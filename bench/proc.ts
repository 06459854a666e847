/**
 * Reading processes from `/proc` for the load tools: memory of a process and
 * the service process below a launcher.
 *
 * @module
 */

/** Memory of a process from `/proc/<pid>/status`, in bytes. */
export interface Rss {
  /** Resident set size now (`VmRSS`). */
  rss: number;
  /** Peak resident set size (`VmHWM`). */
  peak: number;
}

/** Reads `VmRSS` and `VmHWM` of process `pid`. */
export function readRss(pid: number): Rss {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = (key: string) => Number(status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m"))?.[1]);
  return { rss: kb("VmRSS") * 1024, peak: kb("VmHWM") * 1024 };
}

/**
 * The service's own pid below `parent`: `deno task dns` runs the launcher, which runs the
 * service as its child; the service itself has no child processes (its workers are threads).
 * A process with no children (a service started directly) is its own service pid.
 */
export function servicePid(parent: number): number {
  let pid = parent;
  for (;;) {
    const children = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim();
    if (!children) return pid;
    pid = Number(children.split(/\s+/)[0]);
  }
}
