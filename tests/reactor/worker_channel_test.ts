import assert from "node:assert/strict";
import { WorkerChannel, type WorkerChannelOptions } from "../../reactor/worker_channel.ts";
import { WorkerError, WorkerPool } from "../../reactor/worker_pool.ts";
import { waitFor } from "../support/net.ts";
import type { FromEcho, ToEcho } from "./fixtures/echo_protocol.ts";

const ECHO_URL = new URL("./fixtures/echo_worker.ts", import.meta.url);
const THROW_ON_LOAD_URL = new URL("./fixtures/throw_on_load_worker.ts", import.meta.url);

function startEcho(name = "echo"): { worker: Worker; channel: WorkerChannel<ToEcho, FromEcho> } {
  const worker = new Worker(ECHO_URL, { type: "module", name });
  return { worker, channel: new WorkerChannel<ToEcho, FromEcho>(worker) };
}

/** Resolves after `count` messages matching `kind`, collected in arrival order. */
function collect<K extends FromEcho["kind"]>(
  channel: WorkerChannel<ToEcho, FromEcho>,
  kind: K,
  count: number,
): Promise<Extract<FromEcho, { kind: K }>[]> {
  const got: Extract<FromEcho, { kind: K }>[] = [];
  return new Promise((resolve) => {
    const off = channel.onMessage((msg) => {
      if (msg.kind !== kind) return;
      got.push(msg as Extract<FromEcho, { kind: K }>);
      if (got.length === count) {
        off();
        resolve(got);
      }
    });
  });
}

function openPorts<A, B>(options: WorkerChannelOptions = {}): {
  a: WorkerChannel<A, B>;
  b: WorkerChannel<B, A>;
  close(): void;
} {
  const { port1, port2 } = new MessageChannel();
  const a = new WorkerChannel<A, B>(port1, options);
  const b = new WorkerChannel<B, A>(port2, options);
  return {
    a,
    b,
    close() {
      a.close();
      b.close();
      port1.close();
      port2.close();
    },
  };
}

Deno.test("worker_channel - delivers in order under load in both directions", async () => {
  const N = 100_000;
  const { worker, channel } = startEcho();
  try {
    const echoes = collect(channel, "echo", N);
    const floods = collect(channel, "flood", N);
    const started = performance.now();
    channel.send({ kind: "flood", count: N });
    for (let seq = 0; seq < N; seq++) channel.send({ kind: "echo", seq, payload: `p${seq}` });
    const [echoed, flooded] = await Promise.all([echoes, floods]);
    const ms = performance.now() - started;
    echoed.forEach((msg, i) => {
      if (msg.seq !== i || msg.payload !== `p${i}`) assert.fail(`echo ${i} arrived as ${msg.seq}`);
    });
    flooded.forEach((msg, i) => {
      if (msg.seq !== i) assert.fail(`flood ${i} arrived as ${msg.seq}`);
    });
    // 2 x 100,000 messages each way in well under the 10 s bound (about 0.3 s here).
    assert.ok(ms < 10_000, `took ${ms.toFixed(0)} ms`);
    const stats = channel.stats();
    assert.equal(stats.sent, N + 1);
    assert.equal(stats.received, 2 * N);
  } finally {
    channel.close();
    worker.terminate();
  }
});

Deno.test("worker_channel - batching coalesces a burst into few postMessage calls", async () => {
  const { worker, channel } = startEcho();
  try {
    const back = collect(channel, "echo", 1000);
    for (let seq = 0; seq < 1000; seq++) channel.send({ kind: "echo", seq });
    // One batch is posted when it reaches 512 messages, the rest at the end of the loop turn.
    assert.equal(channel.stats().batches, 1);
    await back;
    const stats = channel.stats();
    assert.deepEqual({ sent: stats.sent, batches: stats.batches }, { sent: 1000, batches: 2 });
    assert.equal(stats.received, 1000);
    assert.ok(stats.receivedBatches <= 4, `worker replied in ${stats.receivedBatches} batches`);
  } finally {
    channel.close();
    worker.terminate();
  }
});

for (const flushOn of ["microtask", "immediate", "timer"] as const) {
  Deno.test(`worker_channel - ${flushOn} flush batches sends from one task`, async () => {
    const ports = openPorts<number, number>({ flushOn });
    try {
      const got: number[] = [];
      const done = new Promise<void>((resolve) => {
        ports.b.onMessage((n) => got.push(n) === 100 && resolve());
      });
      for (let n = 0; n < 100; n++) ports.a.send(n);
      assert.equal(ports.a.stats().batches, 0); // nothing posted until the task ends
      await done;
      assert.equal(ports.a.stats().batches, 1);
      assert.deepEqual(got, Array.from({ length: 100 }, (_, i) => i));
    } finally {
      ports.close();
    }
  });
}

Deno.test("worker_channel - immediate flush batches sends from separate tasks", async () => {
  // Each send runs in its own task (one MessagePort event each), as with one packet per event.
  const N = 2000;
  const source = new MessageChannel();
  const ports = openPorts<number, number>(); // default flushOn: "immediate"
  try {
    const got: number[] = [];
    const done = new Promise<void>((resolve) => {
      ports.b.onMessage((n) => got.push(n) === N && resolve());
    });
    source.port2.onmessage = (ev: MessageEvent<number>) => ports.a.send(ev.data);
    for (let n = 0; n < N; n++) source.port1.postMessage(n);
    await done;
    assert.deepEqual(got, Array.from({ length: N }, (_, i) => i));
    const { batches } = ports.a.stats();
    assert.ok(batches < N / 10, `${N} sends from separate tasks took ${batches} batches`);
  } finally {
    source.port1.close();
    source.port2.close();
    ports.close();
  }
});

Deno.test("worker_channel - works over a MessagePort, flush() posts at once", async () => {
  const ports = openPorts<number, number>({ maxBatch: 3 });
  try {
    const got: number[] = [];
    const done = new Promise<void>((resolve) => {
      ports.b.onMessage((n) => {
        got.push(n);
        if (got.length === 7) resolve();
      });
    });
    for (let n = 0; n < 7; n++) ports.a.send(n);
    assert.equal(ports.a.stats().batches, 2); // [0,1,2] and [3,4,5] hit maxBatch
    ports.a.flush();
    assert.equal(ports.a.stats().batches, 3);
    ports.a.flush(); // nothing queued: no empty batch
    assert.equal(ports.a.stats().batches, 3);
    await done;
    assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6]);
    assert.deepEqual(ports.b.stats(), { sent: 0, batches: 0, received: 7, receivedBatches: 3 });
  } finally {
    ports.close();
  }
});

Deno.test("worker_channel - keeps messages that arrive before the first handler", async () => {
  const ports = openPorts<string, string>();
  try {
    ports.a.send("early-1");
    ports.a.send("early-2");
    await waitFor(() => ports.b.stats().received === 2, "both messages received");
    const got: string[] = [];
    ports.b.onMessage((s) => got.push(s));
    assert.deepEqual(got, ["early-1", "early-2"]);
  } finally {
    ports.close();
  }
});

Deno.test("worker_channel - a throwing handler is reported and the batch goes on", async () => {
  const errors: unknown[] = [];
  const { port1, port2 } = new MessageChannel();
  const a = new WorkerChannel<number, never>(port1);
  const b = new WorkerChannel<never, number>(port2, { onError: (e) => errors.push(e) });
  try {
    const got: number[] = [];
    const done = new Promise<void>((resolve) => {
      b.onMessage((n) => {
        if (n === 1) throw new Error("handler failed on 1");
        got.push(n);
        if (n === 2) resolve();
      });
    });
    a.send(0);
    a.send(1);
    a.send(2);
    await done;
    assert.deepEqual(got, [0, 2]);
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /handler failed on 1/);

    port1.postMessage("not a batch"); // a sender that does not use WorkerChannel
    await waitFor(() => errors.length === 2, "the error about the bad batch");
    assert.match(String(errors[1]), /expected a batch array, got string/);
  } finally {
    a.close();
    b.close();
    port1.close();
    port2.close();
  }
});

Deno.test("worker_channel - close() posts what is queued, then stops delivery", async () => {
  const ports = openPorts<number, number>();
  try {
    const got: number[] = [];
    ports.b.onMessage((n) => got.push(n));
    ports.a.send(1);
    ports.a.close(); // posts [1] first
    assert.equal(ports.a.closed, true);
    assert.throws(() => ports.a.send(2), /Cannot send: channel is closed/);
    await waitFor(() => got.length === 1, "the message posted by close()");
    assert.deepEqual(got, [1]);

    ports.b.send(10); // queued for the microtask flush, posted by close()
    ports.b.close();
    ports.b.close(); // does nothing the second time
    assert.equal(ports.b.stats().batches, 1);
    // The raw port still delivers to anyone listening, but not to the closed channel.
    const raw: unknown[] = [];
    const { port1, port2 } = new MessageChannel();
    const c = new WorkerChannel<number, number>(port1);
    const d = new WorkerChannel<number, number>(port2);
    d.onMessage((n) => raw.push(n));
    d.close();
    // A plain listener on the same port sees the batch: by then the closed channel would have too.
    const arrived = new Promise<unknown>((resolve) =>
      port2.addEventListener("message", (ev) => resolve(ev.data), { once: true })
    );
    c.send(3);
    assert.deepEqual(await arrived, [3]);
    assert.deepEqual(raw, []);
    assert.equal(d.stats().received, 0);
    c.close();
    port1.close();
    port2.close();
  } finally {
    ports.close();
  }
});

Deno.test("worker_channel - rejects a bad maxBatch", () => {
  const { port1, port2 } = new MessageChannel();
  try {
    assert.throws(() => new WorkerChannel(port1, { maxBatch: 0 }), RangeError);
  } finally {
    port1.close();
    port2.close();
  }
});

Deno.test("worker_pool - starts workers, broadcasts and routes replies per worker", async () => {
  const pool = new WorkerPool<ToEcho, FromEcho>({ url: ECHO_URL, size: 3, name: "shard" });
  try {
    assert.equal(pool.size, 3);
    const names = [0, 1, 2].map((i) => collect(pool.channel(i), "iam", 1));
    pool.broadcast({ kind: "whoami" });
    const got = (await Promise.all(names)).map(([msg]) => msg.name);
    assert.deepEqual(got, ["shard-0", "shard-1", "shard-2"]);
    assert.throws(() => pool.channel(3), /index 3 is outside 0\.\.2/);
  } finally {
    pool.terminate();
  }
});

Deno.test("worker_pool - surfaces a worker's uncaught error with its index", async () => {
  const pool = new WorkerPool<ToEcho, FromEcho>({ url: ECHO_URL, size: 3, name: "shard" });
  try {
    const failed = new Promise<[WorkerError, number]>((resolve) => {
      pool.onError((error, index) => resolve([error, index]));
    });
    pool.channel(1).send({ kind: "throw", text: "boom in shard 1" });
    const [error, index] = await failed;
    assert.equal(index, 1);
    assert.ok(error instanceof WorkerError);
    assert.equal(error.name, "WorkerError");
    assert.equal(error.index, 1);
    assert.match(error.message, /^Worker shard-1 failed: .*boom in shard 1/);
    // The other workers still answer.
    const alive = collect(pool.channel(2), "echo", 1);
    pool.channel(2).send({ kind: "echo", seq: 7 });
    assert.equal((await alive)[0].seq, 7);
  } finally {
    pool.terminate();
  }
});

Deno.test("worker_pool - restart replaces a failed worker with a fresh one on a new channel", async () => {
  const pool = new WorkerPool<ToEcho, FromEcho>({ url: ECHO_URL, size: 2, name: "shard" });
  try {
    const failed = new Promise<number>((resolve) => pool.onError((_, index) => resolve(index)));
    const old = pool.channel(1);
    old.send({ kind: "throw", text: "boom" });
    assert.equal(await failed, 1);
    const fresh = pool.restart(1);
    assert.equal(old.closed, true);
    assert.equal(pool.channel(1), fresh);
    const name = collect(fresh, "iam", 1);
    fresh.send({ kind: "whoami" });
    assert.equal((await name)[0].name, "shard-1");
    const echoed = collect(fresh, "echo", 1);
    fresh.send({ kind: "echo", seq: 9 });
    assert.equal((await echoed)[0].seq, 9);
    assert.throws(() => pool.restart(2), RangeError);
  } finally {
    pool.terminate();
  }
  assert.throws(() => pool.restart(0), /pool terminated/);
});

Deno.test("worker_pool - surfaces errors thrown while a worker module loads", async () => {
  const errors: [WorkerError, number][] = [];
  let resolve = () => {};
  const both = new Promise<void>((r) => resolve = r);
  const pool = new WorkerPool<never, never>({
    url: THROW_ON_LOAD_URL,
    size: 2,
    onError: (error, index) => {
      errors.push([error, index]);
      if (errors.length === 2) resolve();
    },
  });
  try {
    await both;
    assert.deepEqual(errors.map(([, i]) => i).sort(), [0, 1]);
    for (const [error] of errors) assert.match(error.message, /failed to load on purpose/);
  } finally {
    pool.terminate();
  }
});

Deno.test("worker_pool - terminate flushes, closes channels and leaves no pending ops", async () => {
  const pool = new WorkerPool<ToEcho, FromEcho>({ url: ECHO_URL, size: 2 });
  try {
    const back = collect(pool.channel(0), "echo", 1);
    pool.channel(0).send({ kind: "echo", seq: 1 });
    assert.equal((await back)[0].seq, 1);
    pool.channel(1).send({ kind: "echo", seq: 2 }); // queued, posted by terminate()
  } finally {
    pool.terminate();
  }
  assert.equal(pool.terminated, true);
  assert.equal(pool.channel(1).stats().batches, 1);
  assert.equal(pool.channel(0).closed, true);
  assert.throws(() => pool.channel(0).send({ kind: "whoami" }), /channel is closed/);
  pool.terminate(); // idempotent
  // Deno's op and resource sanitizers fail this test if a worker or timer is left behind.
});

Deno.test("worker_pool - rejects a bad size", () => {
  assert.throws(() => new WorkerPool({ url: ECHO_URL, size: 0 }), RangeError);
});
