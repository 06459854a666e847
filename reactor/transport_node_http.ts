/**
 * `serveHttp` of the node transport: a `node:http` server that turns each
 * request into a Fetch API `Request`, calls the handler, and writes its
 * `Response` back (streaming the body, honouring back-pressure), so the same
 * handler (e.g. a Hono app) runs on Deno, Bun and Node.
 *
 * @module
 */
import http from "node:http";
import { Readable } from "node:stream";
import type { HttpHandler, HttpServer, NetAddress } from "./transport.ts";

function toRequest(req: http.IncomingMessage, host: string, signal: AbortSignal): Request {
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  return new Request(`http://${req.headers.host ?? host}${req.url ?? "/"}`, {
    method,
    headers,
    body: hasBody ? Readable.toWeb(req) as ReadableStream<Uint8Array> : undefined,
    signal,
    // Required by the Fetch API for a streamed request body.
    ...(hasBody ? { duplex: "half" } : {}),
  } as RequestInit);
}

async function writeResponse(res: http.ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  const cookies = response.headers.getSetCookie();
  for (const [name, value] of response.headers) {
    if (name !== "set-cookie") res.setHeader(name, value);
  }
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  if (response.body === null) {
    res.end();
    return;
  }
  for await (const chunk of response.body) {
    if (res.destroyed) break;
    if (!res.write(chunk)) await new Promise((resolve) => res.once("drain", resolve));
  }
  res.end();
}

/** Serves HTTP/1.1 on `addr` with `node:http`; see {@linkcode Transport.serveHttp}. */
export function serveNodeHttp(addr: NetAddress, handler: HttpHandler): Promise<HttpServer> {
  let active = 0;
  let stopping = false;
  const server = http.createServer((req, res) => {
    active++;
    res.once("close", () => {
      // Keep-alive connections would hold a stopping server open: close them once idle.
      if (--active === 0 && stopping) server.closeAllConnections();
    });
    const aborted = new AbortController();
    res.once("close", () => aborted.abort());
    const remoteAddr = {
      hostname: req.socket.remoteAddress ?? "",
      port: req.socket.remotePort ?? 0,
    };
    (async () => {
      try {
        const request = toRequest(req, `${addr.hostname}:${addr.port}`, aborted.signal);
        await writeResponse(res, await handler(request, { remoteAddr }));
      } catch {
        if (!res.headersSent) res.statusCode = 500;
        res.end();
      }
    })();
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(addr.port, addr.hostname, () => {
      server.off("error", reject);
      const bound = server.address() as { address: string; port: number };
      resolve({
        addr: { hostname: bound.address, port: bound.port },
        shutdown: () =>
          new Promise<void>((done) => {
            stopping = true;
            server.close(() => done());
            if (active === 0) server.closeAllConnections();
          }),
      });
    });
  });
}
