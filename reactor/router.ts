/**
 * Message router by `msgid` (the original's `msg_router`), shared by TCP and
 * UDP servers and clients. A route decodes the body with its codec, then calls
 * the handler; the transport decides what a bad body means (close the TCP
 * connection, drop the datagram).
 *
 * @module
 */

/** Anything that turns body bytes into a message. */
export interface BodyDecoder<T> {
  /** Parses the body; throws on malformed input. */
  decode(bytes: Uint8Array): T;
}

/** Handles one decoded message; `ctx` is the connection or datagram context. A returned promise is awaited for errors only. */
export type MessageHandler<T, Ctx> = (message: T, ctx: Ctx) => unknown;

/** What {@linkcode MessageRouter.dispatch} did with a frame. */
export type DispatchResult =
  | { kind: "handled" }
  | { kind: "unknown"; msgid: number }
  | { kind: "malformed"; msgid: number; error: Error }
  | { kind: "failed"; msgid: number; error: Error };

interface Route<Ctx> {
  decode: (bytes: Uint8Array) => unknown;
  handler: MessageHandler<unknown, Ctx>;
}

const RAW: BodyDecoder<Uint8Array> = { decode: (bytes) => bytes };
/** The common result, shared so dispatching a frame allocates nothing for it. */
const HANDLED: DispatchResult = Object.freeze({ kind: "handled" });

/** Error raised while handling: a handler bug, not bad input. */
function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/**
 * Routes frames to handlers by message id.
 *
 * @example
 * ```ts
 * import { MessageRouter } from "./router.ts";
 * const router = new MessageRouter<string>();
 * router.onRaw(1, (body, from) => console.log(from, body.length));
 * router.dispatch(1, new Uint8Array(3), "peer"); // logs: peer 3
 * ```
 */
export class MessageRouter<Ctx> {
  #routes = new Map<number, Route<Ctx>>();
  #onAsyncError: (msgid: number, error: Error) => void = () => {};

  /** Registers `handler` for `msgid`, decoding bodies with `codec`; replaces an earlier one. */
  on<T>(msgid: number, codec: BodyDecoder<T>, handler: MessageHandler<T, Ctx>): this {
    this.#routes.set(msgid, {
      decode: (bytes) => codec.decode(bytes),
      handler: handler as MessageHandler<unknown, Ctx>,
    });
    return this;
  }

  /**
   * Registers a handler that gets the raw body. The bytes are a view of a
   * reused buffer: copy them to keep them past the handler's first `await`.
   */
  onRaw(msgid: number, handler: MessageHandler<Uint8Array, Ctx>): this {
    return this.on(msgid, RAW, handler);
  }

  /** True when `msgid` has a handler. */
  has(msgid: number): boolean {
    return this.#routes.has(msgid);
  }

  /** Called when an async handler rejects; by default ignored. */
  onAsyncError(callback: (msgid: number, error: Error) => void): void {
    this.#onAsyncError = callback;
  }

  /** Decodes and handles one frame; never throws. */
  dispatch(msgid: number, body: Uint8Array, ctx: Ctx): DispatchResult {
    const route = this.#routes.get(msgid);
    if (!route) return { kind: "unknown", msgid };
    let message: unknown;
    try {
      message = route.decode(body);
    } catch (err) {
      return { kind: "malformed", msgid, error: toError(err) };
    }
    try {
      const result = route.handler(message, ctx);
      if (result instanceof Promise) {
        result.catch((err) => this.#onAsyncError(msgid, toError(err)));
      }
    } catch (err) {
      return { kind: "failed", msgid, error: toError(err) };
    }
    return HANDLED;
  }
}
