/**
 * A worker of the echo server when `[reactor] threadNum` > 1: runs its own
 * echo loop on the shared port (SO_REUSEPORT), like one of the original's
 * reactor threads.
 *
 * @module
 */
import { createLogger } from "../reactor/log.ts";
import type { TcpServer } from "../reactor/tcp_server.ts";
import { WorkerChannel, workerScope } from "../reactor/worker_channel.ts";
import { type EchoSettings, startEchoServer } from "./echo_service.ts";
import { errorText } from "../reactor/text.ts";

/** Main -> worker. */
export type ToEchoWorker = { type: "start"; settings: EchoSettings } | { type: "stop" };
/** Worker -> main. */
export type FromEchoWorker =
  | { type: "ready"; port: number }
  | { type: "failed"; error: string }
  | { type: "stopped"; counters: Record<string, number> };

if (import.meta.main) {
  const channel = new WorkerChannel<FromEchoWorker, ToEchoWorker>(workerScope());
  let server: TcpServer | null = null;
  channel.onMessage(async (msg) => {
    if (msg.type === "start") {
      try {
        server = startEchoServer(msg.settings, createLogger(`echo-server-${self.name}`));
        channel.send({ type: "ready", port: server.addr.port });
      } catch (err) {
        channel.send({ type: "failed", error: errorText(err) });
      }
    } else {
      await server?.close({ graceful: true });
      channel.send({ type: "stopped", counters: server?.counters.snapshot() ?? {} });
      channel.flush();
    }
  });
}
