/**
 * Processes in their own process group, signalled as a terminal or systemd
 * does: `kill -INT -- -PGID` reaches every process of the group (here the
 * `deno task` process, the launcher and the service) at once.
 *
 * @module
 */

import { LoggedProcess } from "./process.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** The project root, with a trailing slash. */
export const PROJECT_ROOT: string = ROOT;

/** A command started by `setsid`, so its pid is its process group id. */
export class GroupProcess extends LoggedProcess {
  /** Starts `command args` as the leader of a new session and process group. */
  constructor(
    command: string,
    args: string[],
    options: { cwd?: string; env?: Record<string, string> } = {},
  ) {
    super(
      new Deno.Command("setsid", {
        args: [command, ...args],
        cwd: options.cwd ?? ROOT,
        env: options.env,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn(),
    );
  }

  /**
   * Starts `deno task -q NAME args` (the project's deno.json) in a new process
   * group, from `cwd` as a shell there would (`INIT_CWD` is set to it: a
   * nested `deno task` keeps the one it inherits, e.g. from `deno task test`).
   */
  static task(
    name: string,
    args: string[],
    options: { cwd?: string; env?: Record<string, string> } = {},
  ): GroupProcess {
    const cwd = options.cwd ?? ROOT;
    return new GroupProcess(
      Deno.execPath(),
      ["task", "-q", "--config", `${ROOT}deno.json`, name, ...args],
      { cwd, env: { ...options.env, INIT_CWD: cwd } },
    );
  }

  /** Sends `signal` to the whole process group with `kill -SIG -- -PGID`. */
  async signalGroup(signal: "INT" | "TERM" | "KILL"): Promise<void> {
    const r = await new Deno.Command("kill", {
      args: [`-${signal}`, "--", `-${this.child.pid}`],
      stderr: "null",
    }).output();
    if (!r.success) throw new Error(`kill -${signal} -${this.child.pid} failed`);
  }

  /** Kills the group (cleanup after a failed test); never throws. */
  async kill(): Promise<void> {
    await this.signalGroup("KILL").catch(() => {});
    await this.exited().catch(() => {});
  }
}
