import { denoTransport } from "../../reactor/transport_deno.ts";
import { transportContract } from "./transport_contract.ts";

transportContract({
  name: "deno",
  transport: denoTransport,
  // Deno binds before listenTcp/bindUdp return.
  bound: (socket) => Promise.resolve(socket.addr),
});
