/**
 * Process helpers of the test MySQL harness (`mariadb.ts`): finding binaries,
 * free ports, waiting for a process to die, the crash watchdog and removal of
 * directories left by dead test processes. Linux (`/proc`) based.
 *
 * @module
 */

/** Temp directories of the harness start with this. */
export const DIR_PREFIX = "lars-mariadb-";

const SEARCH_DIRS = ["/usr/sbin", "/usr/local/sbin", "/usr/local/bin", "/usr/local/mysql/bin"];

/** The first of `names` found as an executable in PATH or the usual sbin directories. */
export function findExecutable(names: readonly string[]): string | null {
  const dirs = [...(Deno.env.get("PATH") ?? "").split(":").filter(Boolean), ...SEARCH_DIRS];
  for (const name of names) {
    for (const dir of dirs) {
      try {
        const info = Deno.statSync(`${dir}/${name}`);
        if (info.isFile && ((info.mode ?? 0) & 0o111) !== 0) return `${dir}/${name}`;
      } catch {
        // not in this directory
      }
    }
  }
  return null;
}

/**
 * Kills the server of `dir` and removes `dir` as soon as this process dies
 * without running `unload` (Ctrl-C, SIGTERM, crash): its stdin is a pipe from
 * this process, which the kernel closes when the process ends, whatever way.
 */
const _WATCHDOG = `
  dir=$1
  while read -r _; do :; done
  pid=$(cat "$dir/mysqld.pid" 2>/dev/null)
  if [ -n "$pid" ] && grep -qF -- "$dir" "/proc/$pid/cmdline" 2>/dev/null; then
    kill -9 "$pid"
    while [ -d "/proc/$pid" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status"; do
      sleep 0.1
    done
  fi
  rm -rf "$dir"`;

/** Starts the watchdog of `dir` (see `_WATCHDOG`); null when `/bin/sh` is missing. */
export function startWatchdog(dir: string): Deno.ChildProcess | null {
  try {
    const child = new Deno.Command("/bin/sh", {
      args: ["-c", _WATCHDOG, "lars-mariadb-watchdog", dir],
      stdin: "piped",
      stdout: "null",
      stderr: "null",
    }).spawn();
    child.unref();
    return child;
  } catch {
    return null; // no /bin/sh: the next run removes what is left
  }
}

/** A TCP port of 127.0.0.1 that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** True while `pid` runs (a zombie counts as dead). */
export function isRunning(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** Waits (blocking) until `pid` is dead or `timeoutMs` passed. */
export function waitUntilDead(pid: number, timeoutMs: number): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + timeoutMs;
  while (isRunning(pid) && Date.now() < deadline) Atomics.wait(pause, 0, 0, 10);
}

/** Removes directories of earlier test processes that died without cleaning up. */
export function removeStaleDirs(): void {
  const tmp = Deno.env.get("TMPDIR") || "/tmp";
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(tmp)];
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.isDirectory || !entry.name.startsWith(DIR_PREFIX)) continue;
    const dir = `${tmp}/${entry.name}`;
    try {
      let owner: number;
      try {
        owner = Number(Deno.readTextFileSync(`${dir}/owner.pid`).trim());
      } catch {
        // Being created right now by another process, unless it is old.
        const ageMs = Date.now() - (Deno.statSync(dir).mtime?.getTime() ?? Date.now());
        if (ageMs < 600_000) continue;
        owner = 0;
      }
      if (owner === Deno.pid || (owner > 0 && isRunning(owner))) continue;
      const serverPid = Number(Deno.readTextFileSync(`${dir}/mysqld.pid`).trim());
      const cmdline = Deno.readTextFileSync(`/proc/${serverPid}/cmdline`);
      if (cmdline.includes(dir)) Deno.kill(serverPid, "SIGKILL");
      waitUntilDead(serverPid, 5000);
    } catch {
      // no owner, no server or server already gone
    }
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // best effort
    }
  }
}
