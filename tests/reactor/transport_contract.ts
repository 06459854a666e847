/**
 * The transport contract: one suite that every {@linkcode Transport} must pass
 * (hono style: `transport_deno_test.ts` and `transport_node_test.ts` run it
 * against their implementation).
 *
 * @module
 */
import assert from "node:assert/strict";
import type {
  NetAddress,
  TcpConn,
  TcpListener,
  Transport,
  UdpSocket,
} from "../../reactor/transport.ts";

/** One implementation under test. */
export interface TransportUnderTest {
  /** Prefix of the test names. */
  name: string;
  /** The implementation. */
  transport: Transport;
  /** Waits until a listener or UDP socket is bound; resolves to its address. */
  bound(socket: TcpListener | UdpSocket): Promise<NetAddress>;
}

const LOOPBACK = "127.0.0.1";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed) & 255;
  return out;
}

/** Reads until `length` bytes have arrived or the stream ends. */
async function readExactly(conn: TcpConn, length: number, chunk = 65536): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  const buf = new Uint8Array(chunk);
  let got = 0;
  while (got < length) {
    const n = await conn.read(buf.subarray(0, Math.min(chunk, length - got)));
    if (n === null) break;
    out.set(buf.subarray(0, n), got);
    got += n;
  }
  return out.subarray(0, got);
}

async function rejects(promise: Promise<unknown>, what: string): Promise<void> {
  await assert.rejects(promise, Error, what);
}

/** A connected pair: `client` dialled `server`'s listener. */
async function tcpPair(subject: TransportUnderTest) {
  const listener = subject.transport.listenTcp({ hostname: LOOPBACK, port: 0 });
  const addr = await subject.bound(listener);
  const accepted = listener.accept();
  const client = await subject.transport.connectTcp(addr);
  const server = await accepted;
  return { listener, addr, client, server };
}

/** Registers the contract tests for `subject`. */
export function transportContract(subject: TransportUnderTest): void {
  const { transport } = subject;
  const test = (name: string, fn: () => Promise<void>) =>
    Deno.test(`${subject.name} transport - ${name}`, fn);

  test("tcp echo of 1 MiB in both directions keeps order and content", async () => {
    const { listener, client, server } = await tcpPair(subject);
    try {
      const echo = (async () => {
        const buf = new Uint8Array(4096);
        while (true) {
          const n = await server.read(buf);
          if (n === null) return;
          await server.writeAll(buf.subarray(0, n));
        }
      })();
      const payload = bytes(1 << 20, 7);
      const [, echoed] = await Promise.all([
        client.writeAll(payload),
        readExactly(client, payload.length),
      ]);
      assert.equal(echoed.length, payload.length);
      assert.deepEqual(echoed, payload);
      client.close();
      await echo;
    } finally {
      client.close();
      server.close();
      listener.close();
    }
  });

  test("tcp reads fill at most the given buffer and lose nothing", async () => {
    const { listener, client, server } = await tcpPair(subject);
    try {
      await server.writeAll(encoder.encode("0123456789"));
      server.close();
      const buf = new Uint8Array(4);
      const parts: string[] = [];
      while (true) {
        const n = await client.read(buf);
        if (n === null) break;
        assert.ok(n > 0 && n <= 4, `read returned ${n}`);
        parts.push(decoder.decode(buf.subarray(0, n)));
      }
      assert.equal(parts.join(""), "0123456789");
      assert.ok(parts.length >= 3);
    } finally {
      client.close();
      listener.close();
    }
  });

  test("tcp peer close ends the stream after the data written before it", async () => {
    const { listener, client, server } = await tcpPair(subject);
    try {
      await client.writeAll(encoder.encode("last words"));
      client.close();
      assert.equal(decoder.decode(await readExactly(server, 10)), "last words");
      assert.equal(await server.read(new Uint8Array(16)), null);
    } finally {
      server.close();
      listener.close();
    }
  });

  test("tcp local close interrupts a pending read and fails later calls", async () => {
    const { listener, client, server } = await tcpPair(subject);
    try {
      const pending = server.read(new Uint8Array(16));
      server.close();
      server.close(); // twice is fine
      await rejects(pending, "pending read");
      await rejects(server.read(new Uint8Array(16)), "read after close");
      await rejects(server.writeAll(new Uint8Array(4)), "write after close");
      assert.equal(await client.read(new Uint8Array(16)), null);
    } finally {
      client.close();
      listener.close();
    }
  });

  test("tcp addresses of both ends agree", async () => {
    const { listener, addr, client, server } = await tcpPair(subject);
    try {
      assert.equal(client.remoteAddr.port, addr.port);
      assert.equal(server.localAddr.port, addr.port);
      assert.equal(server.remoteAddr.port, client.localAddr.port);
      assert.ok(addr.port > 0);
      client.setNoDelay(true);
      server.setNoDelay(false);
    } finally {
      client.close();
      server.close();
      listener.close();
    }
  });

  test("tcp keepalive arms the kernel's keepalive timer", async () => {
    const { listener, client, server } = await tcpPair(subject);
    try {
      const short = client.setKeepAlive(2000);
      assert.equal(typeof short, "boolean");
      // Deno's TcpConn takes no timings and Deno's node:net sets only the idle time.
      if ("Deno" in globalThis) assert.equal(short, false);
      // /proc/net/tcp: timer 2 is the keepalive timer, on our end of the connection only. The
      // line is this connection's: our port to the server's, established (state 01); an older
      // connection in TIME_WAIT (timer 3) may have used the same local port.
      const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, "0");
      const ours = hex(client.localAddr.port);
      const theirs = hex(client.remoteAddr.port);
      const timerOf = async () => {
        const table = await Deno.readTextFile("/proc/net/tcp");
        const line = table.split("\n").map((l) => l.trim().split(/\s+/)).find((f) =>
          f[1]?.endsWith(`:${ours}`) && f[2]?.endsWith(`:${theirs}`) && f[3] === "01"
        );
        return line?.[5]?.split(":")[0];
      };
      assert.equal(await timerOf(), "02");
    } finally {
      client.close();
      server.close();
      listener.close();
    }
  });

  test("tcp accept rejects when the listener closes, and after", async () => {
    const listener = transport.listenTcp({ hostname: LOOPBACK, port: 0 });
    const addr = await subject.bound(listener);
    const pending = listener.accept();
    listener.close();
    listener.close();
    await rejects(pending, "pending accept");
    await rejects(listener.accept(), "accept after close");
    await rejects(transport.connectTcp(addr), "connect to a closed listener");
  });

  test("tcp listening on a port in use fails", async () => {
    const first = transport.listenTcp({ hostname: LOOPBACK, port: 0 });
    const addr = await subject.bound(first);
    let second: TcpListener | null = null;
    try {
      second = transport.listenTcp(addr);
      // Not thrown (node:net listens asynchronously): then binding must be reported.
      await rejects(subject.bound(second), "bound of a listener that could not bind");
      await rejects(second.accept(), "accept on a listener that could not bind");
    } catch (err) {
      assert.ok(err instanceof Error, "listenTcp threw something other than an Error");
    } finally {
      second?.close();
      first.close();
    }
  });

  test("udp receive copies into the given buffer and reports the sender", async () => {
    const a = transport.bindUdp({ hostname: LOOPBACK, port: 0 });
    const b = transport.bindUdp({ hostname: LOOPBACK, port: 0 });
    try {
      const aAddr = await subject.bound(a);
      const bAddr = await subject.bound(b);
      const buf = new Uint8Array(1024);
      const seen: string[] = [];
      for (const text of ["one", "second", "3"]) {
        await a.send(encoder.encode(text), bAddr);
        const got = await b.receive(buf);
        assert.equal(got.data.buffer, buf.buffer, "data is not a view of the given buffer");
        assert.equal(got.data.byteOffset, 0);
        assert.equal(got.from.port, aAddr.port);
        seen.push(decoder.decode(got.data));
      }
      assert.deepEqual(seen, ["one", "second", "3"]);
    } finally {
      a.close();
      b.close();
    }
  });

  test("udp datagrams sent before receive is called are kept in order", async () => {
    const a = transport.bindUdp({ hostname: LOOPBACK, port: 0 });
    const b = transport.bindUdp({ hostname: LOOPBACK, port: 0 });
    try {
      const bAddr = await subject.bound(b);
      await subject.bound(a);
      for (let i = 0; i < 20; i++) await a.send(new Uint8Array([i]), bAddr);
      const buf = new Uint8Array(8);
      const got: number[] = [];
      for (let i = 0; i < 20; i++) got.push((await b.receive(buf)).data[0]);
      assert.deepEqual(got, Array.from({ length: 20 }, (_, i) => i));
    } finally {
      a.close();
      b.close();
    }
  });

  test("udp datagram larger than the buffer is cut to the buffer", async () => {
    const a = transport.bindUdp({ hostname: LOOPBACK, port: 0 });
    const b = transport.bindUdp({ hostname: LOOPBACK, port: 0 });
    try {
      await subject.bound(a);
      await a.send(bytes(100, 3), await subject.bound(b));
      const got = await b.receive(new Uint8Array(10));
      assert.deepEqual(got.data, bytes(10, 3));
    } finally {
      a.close();
      b.close();
    }
  });

  test("udp receive rejects when the socket closes, and after; send after close rejects", async () => {
    const socket = transport.bindUdp({ hostname: LOOPBACK, port: 0 });
    const addr = await subject.bound(socket);
    const pending = socket.receive(new Uint8Array(16));
    socket.close();
    socket.close();
    await rejects(pending, "pending receive");
    await rejects(socket.receive(new Uint8Array(16)), "receive after close");
    await rejects(socket.send(new Uint8Array(1), addr), "send after close");
  });

  test("udp binding a port in use throws", async () => {
    const first = transport.bindUdp({ hostname: LOOPBACK, port: 0 });
    try {
      const addr = await subject.bound(first);
      assert.throws(() => transport.bindUdp(addr).close());
    } finally {
      first.close();
    }
  });

  test("http serves GET and POST with headers, status and body; close frees the port", async () => {
    const seen: string[] = [];
    const server = await transport.serveHttp({ hostname: LOOPBACK, port: 0 }, async (req, info) => {
      const url = new URL(req.url);
      seen.push(`${req.method} ${url.pathname}${url.search} from ${info.remoteAddr.hostname}`);
      if (url.pathname === "/boom") throw new Error("handler failure");
      const body = req.method === "POST" ? await req.text() : "hello";
      return new Response(body, {
        status: url.pathname === "/missing" ? 404 : 200,
        headers: { "content-type": "text/plain", "x-echo": req.headers.get("x-in") ?? "" },
      });
    });
    try {
      assert.notEqual(server.addr.port, 0);
      const base = `http://${LOOPBACK}:${server.addr.port}`;
      const get = await fetch(`${base}/a?b=1`, { headers: { "x-in": "v" } });
      assert.equal(get.status, 200);
      assert.equal(get.headers.get("x-echo"), "v");
      assert.equal(await get.text(), "hello");
      const post = await fetch(`${base}/p`, { method: "POST", body: "x".repeat(100_000) });
      assert.equal((await post.text()).length, 100_000);
      const missing = await fetch(`${base}/missing`);
      assert.equal(missing.status, 404);
      await missing.body?.cancel();
      const boom = await fetch(`${base}/boom`);
      assert.equal(boom.status, 500);
      await boom.body?.cancel();
      assert.deepEqual(seen.slice(0, 2), [
        `GET /a?b=1 from ${LOOPBACK}`,
        `POST /p from ${LOOPBACK}`,
      ]);
      await assert.rejects(transport.serveHttp(server.addr, () => new Response("")));
    } finally {
      await server.close();
      await server.close();
    }
    const again = await transport.serveHttp(server.addr, () => new Response("again"));
    await again.close();
  });

  test("http passes several Set-Cookie headers through unchanged", async () => {
    const server = await transport.serveHttp({ hostname: LOOPBACK, port: 0 }, () => {
      const headers = new Headers();
      headers.append("set-cookie", "a=1; HttpOnly; SameSite=Strict; Path=/");
      headers.append("set-cookie", "b=2");
      return new Response(null, { status: 204, headers });
    });
    try {
      const res = await fetch(`http://${LOOPBACK}:${server.addr.port}/`);
      assert.equal(res.status, 204);
      assert.deepEqual(res.headers.getSetCookie(), [
        "a=1; HttpOnly; SameSite=Strict; Path=/",
        "b=2",
      ]);
    } finally {
      await server.close();
    }
  });
}
