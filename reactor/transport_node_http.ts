/**
 * HTTP serving of the node transport ({@linkcode nodeTransport}) over
 * `node:http`, for Bun and Node: web-standard `Request` in, `Response` out.
 *
 * @module
 */
import http from "node:http";
import { Readable } from "node:stream";
import type { HttpHandler, HttpServer, NetAddress } from "./transport.ts";

function toRequest(req: http.IncomingMessage, local: NetAddress): Request {
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  const host = headers.get("host") ?? `${local.hostname}:${local.port}`;
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  return new Request(`http://${host}${req.url ?? "/"}`, {
    method,
    headers,
    body: hasBody ? Readable.toWeb(req) as ReadableStream<Uint8Array> : undefined,
    // Required by the fetch spec for a streamed request body.
    ...(hasBody ? { duplex: "half" } : {}),
  } as RequestInit);
}

async function writeResponse(res: http.ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name === "set-cookie") return;
    headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  res.writeHead(response.status, response.statusText, headers);
  if (response.body === null) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await new Promise((resolve) => res.once("drain", resolve));
    }
  } finally {
    reader.releaseLock();
  }
  res.end();
}

/** An HTTP server over `node:http`. */
class NodeHttpServer implements HttpServer {
  readonly addr: NetAddress;
  #server: http.Server;
  #closing: Promise<void> | null = null;

  constructor(server: http.Server, addr: NetAddress) {
    this.#server = server;
    this.addr = addr;
  }

  close(): Promise<void> {
    this.#closing ??= new Promise((resolve) => {
      this.#server.close(() => resolve());
      // Keep-alive connections would hold close() open until the peer leaves.
      this.#server.closeAllConnections();
    });
    return this.#closing;
  }
}

/** Serves `handler` on `addr`; resolves once listening, rejects when binding fails. */
export function serveNodeHttp(addr: NetAddress, handler: HttpHandler): Promise<HttpServer> {
  return new Promise((resolve, reject) => {
    let local: NetAddress = addr;
    const server = http.createServer(async (req, res) => {
      try {
        const remoteAddr = {
          hostname: req.socket.remoteAddress ?? "",
          port: req.socket.remotePort ?? 0,
        };
        const response = await handler(toRequest(req, local), { remoteAddr });
        await writeResponse(res, response);
      } catch {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      }
    });
    server.once("error", reject);
    server.listen({ host: addr.hostname, port: addr.port }, () => {
      server.off("error", reject);
      const bound = server.address();
      local = typeof bound === "object" && bound !== null
        ? { hostname: bound.address, port: bound.port }
        : addr;
      resolve(new NodeHttpServer(server, local));
    });
  });
}
