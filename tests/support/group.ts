/**
 * Processes in their own process group, signalled as a terminal or systemd
 * does: `kill -INT -- -PGID` reaches every process of the group (here the
 * `deno task` process, the launcher and the service) at once.
 *
 * @module
 */

const ROOT = new URL("../../", import.meta.url).pathname;

/** The project root, with a trailing slash. */
export const PROJECT_ROOT: string = ROOT;

/** A command started by `setsid`, so its pid is its process group id. */
export class GroupProcess {
  readonly child: Deno.ChildProcess;
  #log = "";
  #pump: Promise<void>;

  /** Starts `command args` as the leader of a new session and process group. */
  constructor(
    command: string,
    args: string[],
    options: { cwd?: string; env?: Record<string, string> } = {},
  ) {
    this.child = new Deno.Command("setsid", {
      args: [command, ...args],
      cwd: options.cwd ?? ROOT,
      env: options.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#pump = Promise.all([this.#collect(this.child.stdout), this.#collect(this.child.stderr)])
      .then(() => {});
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

  /** Everything printed so far (stdout and stderr). */
  get log(): string {
    return this.#log;
  }

  /** Waits until the output matches `pattern`; throws with the output after `timeoutMs`. */
  async waitForLog(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const m = this.#log.match(pattern);
      if (m) return m;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`timed out waiting for ${pattern} in output:\n${this.#log}`);
  }

  /** Sends `signal` to the whole process group with `kill -SIG -- -PGID`. */
  async signalGroup(signal: "INT" | "TERM" | "KILL"): Promise<void> {
    const r = await new Deno.Command("kill", {
      args: [`-${signal}`, "--", `-${this.child.pid}`],
      stderr: "null",
    }).output();
    if (!r.success) throw new Error(`kill -${signal} -${this.child.pid} failed`);
  }

  /** Resolves with the exit status once the output is read. */
  async exited(): Promise<Deno.CommandStatus> {
    const status = await this.child.status;
    await this.#pump;
    return status;
  }

  /** Kills the group (cleanup after a failed test); never throws. */
  async kill(): Promise<void> {
    await this.signalGroup("KILL").catch(() => {});
    await this.exited().catch(() => {});
  }

  async #collect(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) this.#log += decoder.decode(chunk, { stream: true });
  }
}
