import assert from "node:assert/strict";
import { LoopYielder } from "../../dns/loop_yield.ts";
import { denoTransport } from "../../reactor/transport_deno.ts";

Deno.test("loop yield - a slice is due after its budget, and a yield lets socket reads in", async () => {
  const yielder = new LoopYielder(5);
  assert.equal(yielder.due, false, "a fresh slice is not due");
  const listener = denoTransport.listenTcp({ hostname: "127.0.0.1", port: 0 });
  const client = await denoTransport.connectTcp({
    hostname: "127.0.0.1",
    port: listener.addr.port,
  });
  const server = await listener.accept();
  try {
    // A read is pending while CPU-bound work runs in slices; the peer writes
    // once the work has started. The read must complete before the work ends.
    let readAt = Infinity;
    const read = server.read(new Uint8Array(16)).then(() => (readAt = performance.now()));
    await client.writeAll(new Uint8Array([1, 2, 3]));
    const started = performance.now();
    let yields = 0;
    while (performance.now() - started < 200) {
      for (let i = 0; i < 1000; i++) Math.sqrt(i); // a small piece of work
      if (yielder.due) {
        await yielder.yield();
        yields++;
        assert.equal(yielder.due, false, "a yield starts a new slice");
      }
    }
    const ended = performance.now();
    await read;
    assert.ok(yields >= 2, `the work yielded (${yields} times)`);
    assert.ok(readAt < ended, "the read was handled between slices, not after the work");
  } finally {
    client.close();
    server.close();
    listener.close();
  }
});
