/**
 * Free loopback ports for tests and load tools (the OS picks one; there is a
 * small race until the caller binds it, acceptable on a test machine).
 *
 * @module
 */

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freeTcpPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
