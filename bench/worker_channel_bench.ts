/**
 * Round trips through a Worker: one `postMessage` per message (the baseline) against the
 * batched {@linkcode WorkerChannel} in each {@linkcode FlushOn} mode.
 *
 * - `worker_channel`: N messages sent in one burst and echoed back.
 * - `worker_channel_ping`: one message echoed back (the latency of a lone request).
 * - `worker_channel_tasks`: N messages each sent from its own task (one MessagePort event
 *   each, as with one packet per event) and echoed back.
 */
import { type FlushOn, WorkerChannel } from "../reactor/worker_channel.ts";
import type { FromEcho, ToEcho } from "../tests/reactor/fixtures/echo_protocol.ts";

const N = 1_000;
const MODES: FlushOn[] = ["microtask", "immediate", "timer"];
const fixtures = new URL("../tests/reactor/fixtures/", import.meta.url);

const raw = new Worker(new URL("raw_echo_worker.ts", fixtures), { type: "module", name: "raw" });
const workers = MODES.map((mode) =>
  new Worker(new URL("echo_worker.ts", fixtures), { type: "module", name: `echo:${mode}` })
);
const channels = MODES.map((flushOn, i) =>
  new WorkerChannel<ToEcho, FromEcho>(workers[i], { flushOn })
);
// Source of separate tasks: every message posted here is delivered as its own event.
const ticks = new MessageChannel();

globalThis.addEventListener("unload", () => {
  for (const channel of channels) channel.close();
  for (const worker of [raw, ...workers]) worker.terminate();
  ticks.port1.close();
  ticks.port2.close();
});

/**
 * Posts `count` echo messages one by one and resolves when all are back; with
 * `separateTasks`, each post runs in its own MessagePort event.
 */
function rawRoundTrip(count: number, separateTasks = false): Promise<void> {
  return new Promise((resolve) => {
    let got = 0;
    const onMessage = () => {
      if (++got === count) {
        raw.removeEventListener("message", onMessage);
        resolve();
      }
    };
    raw.addEventListener("message", onMessage);
    if (separateTasks) {
      ticks.port2.onmessage = (ev: MessageEvent<number>) =>
        raw.postMessage({ kind: "echo", seq: ev.data });
      for (let seq = 0; seq < count; seq++) ticks.port1.postMessage(seq);
    } else {
      for (let seq = 0; seq < count; seq++) raw.postMessage({ kind: "echo", seq });
    }
  });
}

/**
 * Sends `count` echo messages through `channel` and resolves when all are back; with
 * `separateTasks`, each send runs in its own MessagePort event.
 */
function channelRoundTrip(
  channel: WorkerChannel<ToEcho, FromEcho>,
  count: number,
  separateTasks = false,
): Promise<void> {
  return new Promise((resolve) => {
    let got = 0;
    const off = channel.onMessage(() => {
      if (++got === count) {
        off();
        resolve();
      }
    });
    if (separateTasks) {
      ticks.port2.onmessage = (ev: MessageEvent<number>) =>
        channel.send({ kind: "echo", seq: ev.data });
      for (let seq = 0; seq < count; seq++) ticks.port1.postMessage(seq);
    } else {
      for (let seq = 0; seq < count; seq++) channel.send({ kind: "echo", seq });
    }
  });
}

// Warm up: the workers load and compile before the first measured iteration.
await Promise.all([rawRoundTrip(10), ...channels.map((channel) => channelRoundTrip(channel, 10))]);

Deno.bench({
  group: "worker_channel",
  name: `postMessage per message, ${N} round trips`,
  baseline: true,
  fn: async () => await rawRoundTrip(N),
});

Deno.bench({
  group: "worker_channel_ping",
  name: "postMessage, 1 round trip",
  baseline: true,
  fn: async () => await rawRoundTrip(1),
});

Deno.bench({
  group: "worker_channel_tasks",
  name: `postMessage per message, ${N} sends from separate tasks`,
  baseline: true,
  fn: async () => await rawRoundTrip(N, true),
});

MODES.forEach((mode, i) => {
  Deno.bench({
    group: "worker_channel",
    name: `WorkerChannel ${mode} flush, ${N} round trips`,
    fn: async () => await channelRoundTrip(channels[i], N),
  });
  Deno.bench({
    group: "worker_channel_ping",
    name: `WorkerChannel ${mode} flush, 1 round trip`,
    fn: async () => await channelRoundTrip(channels[i], 1),
  });
  Deno.bench({
    group: "worker_channel_tasks",
    name: `WorkerChannel ${mode} flush, ${N} sends from separate tasks`,
    fn: async () => await channelRoundTrip(channels[i], N, true),
  });
});
