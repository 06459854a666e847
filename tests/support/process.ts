/**
 * Runs the project's real entrypoints as subprocesses through `deno task`, so
 * tests exercise the same permissions and arguments as users.
 *
 * @module
 */

const ROOT = new URL("../../", import.meta.url).pathname;

/** A temp directory under `data/tmp/` (the tasks may read and write `data/`). */
export async function repoTempDir(
  prefix: string,
): Promise<{ path: string; remove(): Promise<void> }> {
  await Deno.mkdir(`${ROOT}data/tmp`, { recursive: true });
  const abs = await Deno.makeTempDir({ dir: `${ROOT}data/tmp`, prefix });
  return {
    path: abs.slice(ROOT.length),
    remove: () => Deno.remove(abs, { recursive: true }).catch(() => {}),
  };
}

/** Writes a file relative to the repository root. */
export function writeRepoFile(path: string, text: string): Promise<void> {
  return Deno.writeTextFile(`${ROOT}${path}`, text);
}

/**
 * A child process whose stdout and stderr are collected as one log, with a
 * wait for a line of it and its exit status: the part ServiceProcess and
 * GroupProcess share.
 */
export class LoggedProcess {
  readonly child: Deno.ChildProcess;
  #log = "";
  #pump: Promise<void>;

  /** Takes over a spawned child whose stdout and stderr are piped. */
  constructor(child: Deno.ChildProcess) {
    this.child = child;
    this.#pump = Promise.all([this.#collect(child.stdout), this.#collect(child.stderr)])
      .then(() => {});
  }

  /** Everything the process printed so far (stdout and stderr). */
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

  /** Resolves with the exit status once the output is read. */
  async exited(): Promise<Deno.CommandStatus> {
    const status = await this.child.status;
    await this.#pump;
    return status;
  }

  async #collect(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) this.#log += decoder.decode(chunk, { stream: true });
  }
}

/** A running `deno task NAME ...` whose stderr is collected. */
export class ServiceProcess extends LoggedProcess {
  /** Starts `deno task <task> <args>` in the repository root. */
  constructor(task: string, args: string[], env: Record<string, string> = {}) {
    super(
      new Deno.Command(Deno.execPath(), {
        args: ["task", "-q", task, ...args],
        cwd: ROOT,
        stdout: "piped",
        stderr: "piped",
        stdin: "null",
        env: { LARS_LOG: "debug", ...env },
      }).spawn(),
    );
  }

  /** Sends `signal` and waits for the exit status. */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<Deno.CommandStatus> {
    try {
      this.child.kill(signal);
    } catch {
      // already exited
    }
    return await this.exited();
  }
}

/** Runs `deno task <task> <args>` to completion. */
export async function runTask(
  task: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", task, ...args],
    cwd: ROOT,
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** Something that prints a log and can wait for a line of it (ServiceProcess, GroupProcess). */
export interface LogWaiter {
  /** Waits until the output matches `pattern`. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

/**
 * Waits for a service's start-up line `listening on [http://]IP:PORT` and
 * answers the port it bound: tests configure `port = 0`, so the service
 * itself takes a free port and no other process can take it first.
 */
export async function listeningPort(service: LogWaiter, timeoutMs?: number): Promise<number> {
  const m = await service.waitForLog(/listening on (?:http:\/\/)?[\d.]+:(\d+)/, timeoutMs);
  return Number(m[1]);
}
