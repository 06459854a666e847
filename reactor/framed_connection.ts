/**
 * A TCP connection that speaks Lars frames: a read loop that decodes frames
 * and routes them, and an ordered, coalescing write queue with a bound.
 * Shared by {@linkcode TcpServer} and {@linkcode TcpClient}.
 *
 * @module
 */
import { encodeFrame, FrameDecoder, FrameError } from "../proto/frame.ts";
import type { Logger } from "./log.ts";
import { loopStarved, loopTurn } from "./loop_fairness.ts";
import type { NetCounters } from "./net_counters.ts";
import type { MessageRouter } from "./router.ts";
import { addrText, errorText } from "./text.ts";
import type { NetAddress, TcpConn } from "./transport.ts";

/** First read buffer of a connection: most Lars peers send small frames. */
const INITIAL_READ_BUFFER = 4 * 1024;
/** A connection whose reads fill its buffer gets a bigger one, up to this. */
const MAX_READ_BUFFER = 64 * 1024;
const MAX_WRITE_CHUNK = 256 * 1024;

/** Options of a {@linkcode FramedConnection}. */
export interface FramedConnectionOptions<Ctx> {
  /** The socket. */
  conn: TcpConn;
  /** Routes incoming frames; handlers get `ctx`. */
  router: MessageRouter<Ctx>;
  /** Context passed to handlers; usually the connection itself or its client. */
  ctx: () => Ctx;
  /** Shared counters. */
  counters: NetCounters;
  /** Where bad input and errors are logged. */
  log: Logger;
  /**
   * Bytes that may wait in the write queue; past this the peer is too slow to
   * keep up and the connection is closed (counted as `slowClosed`).
   * @default 8388608
   */
  maxQueuedBytes?: number;
}

let nextConnectionId = 1;

/** One framed TCP connection. */
export class FramedConnection<Ctx = unknown> {
  /** Unique id within this process, for logs. */
  readonly id: number = nextConnectionId++;
  /** The peer's address. */
  readonly remoteAddr: NetAddress;
  /** Per-connection properties (the original's connection parameters). */
  readonly props: Map<string | symbol, unknown> = new Map();
  /** Resolves once, when the connection has closed. */
  readonly closed: Promise<void>;

  #conn: TcpConn;
  #router: MessageRouter<Ctx>;
  #ctx: () => Ctx;
  #counters: NetCounters;
  #log: Logger;
  #maxQueuedBytes: number;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #writing = false;
  #isClosed = false;
  #resolveClosed!: () => void;
  #drainWaiters: (() => void)[] = [];

  /** Wraps `options.conn`; call {@linkcode start} to begin reading. */
  constructor(options: FramedConnectionOptions<Ctx>) {
    this.#conn = options.conn;
    this.#router = options.router;
    this.#ctx = options.ctx;
    this.#counters = options.counters;
    this.#log = options.log;
    this.#maxQueuedBytes = options.maxQueuedBytes ?? 8 * 1024 * 1024;
    this.remoteAddr = options.conn.remoteAddr;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  /** True once closed. */
  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Bytes waiting to be written. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Starts the read loop; it runs until the peer closes, an error, or {@linkcode close}. */
  start(): void {
    this.#readLoop();
  }

  /**
   * Queues one frame. Frames are written in call order; frames queued in the
   * same tick go out in one write. Returns false when the frame was not queued
   * (connection closed, or the queue bound was passed and the connection closed).
   */
  send(msgid: number, body: Uint8Array): boolean {
    return this.sendFrame(encodeFrame(msgid, body));
  }

  /** Queues an already encoded frame; see {@linkcode send}. */
  sendFrame(frame: Uint8Array): boolean {
    if (this.#isClosed) {
      this.#counters.inc("sendDrops");
      return false;
    }
    this.#queue.push(frame);
    this.#queuedBytes += frame.length;
    if (this.#queuedBytes > this.#maxQueuedBytes) {
      this.#counters.inc("slowClosed");
      this.#log.warn(
        `closing connection #${this.id} from ${addrText(this.remoteAddr)}: ` +
          `${this.#queuedBytes} bytes queued exceed ${this.#maxQueuedBytes} (peer too slow)`,
      );
      this.close();
      return false;
    }
    if (!this.#writing) {
      this.#writing = true;
      queueMicrotask(() => this.#writeLoop());
    }
    return true;
  }

  /** Resolves when everything queued so far is written (or the connection closed). */
  drain(): Promise<void> {
    if ((this.#queuedBytes === 0 && !this.#writing) || this.#isClosed) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /** Closes now; queued frames are dropped. Safe to call twice. */
  close(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#conn.close();
    this.#counters.inc("connectionsClosed");
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#wakeDrainWaiters();
    this.#resolveClosed();
  }

  /** Writes what is queued, then closes. */
  async end(): Promise<void> {
    await this.drain();
    this.close();
  }

  async #readLoop(): Promise<void> {
    // Small at first (1,000 idle agents must not cost 64 MiB), doubled while reads fill it.
    let buf = new Uint8Array(INITIAL_READ_BUFFER);
    const decoder = new FrameDecoder();
    const onFrame = (msgid: number, body: Uint8Array) => this.#onFrame(msgid, body);
    try {
      while (!this.#isClosed) {
        const n = await this.#conn.read(buf);
        if (n === null) break;
        this.#counters.inc("bytesIn", n);
        while (loopStarved()) await loopTurn();
        decoder.push(buf.subarray(0, n), onFrame);
        if (n === buf.length && buf.length < MAX_READ_BUFFER) buf = new Uint8Array(buf.length * 2);
      }
    } catch (err) {
      if (err instanceof FrameError) {
        this.#counters.inc("badFrames");
        this.#log.warnThrottled(
          "bad-frame",
          `closing connection #${this.id} from ${addrText(this.remoteAddr)}: ${err.message}`,
        );
      } else if (!this.#isClosed) {
        this.#log.debug(`connection #${this.id} read failed: ${errorText(err)}`);
      }
    } finally {
      this.close();
    }
  }

  #onFrame(msgid: number, body: Uint8Array): void {
    if (this.#isClosed) return;
    this.#counters.inc("framesIn");
    const result = this.#router.dispatch(msgid, body, this.#ctx());
    switch (result.kind) {
      case "handled":
        return;
      case "unknown":
        this.#counters.inc("unknownMsgid");
        this.#log.warnThrottled(
          `unknown-${msgid}`,
          `skipping frame with unknown msgid ${msgid} from ${addrText(this.remoteAddr)}`,
        );
        return;
      case "malformed":
        this.#counters.inc("badFrames");
        this.#log.warnThrottled(
          "malformed",
          `closing connection #${this.id} from ${addrText(this.remoteAddr)}: ` +
            `msgid ${msgid}: ${result.error.message}`,
        );
        this.close();
        return;
      case "failed":
        this.#counters.inc("handlerErrors");
        this.#log.error(`handler for msgid ${msgid} failed: ${result.error.stack ?? result.error}`);
        return;
    }
  }

  async #writeLoop(): Promise<void> {
    try {
      while (this.#queue.length > 0 && !this.#isClosed) {
        const chunk = this.#takeChunk();
        this.#queuedBytes -= chunk.length;
        await this.#conn.writeAll(chunk);
        this.#counters.inc("bytesOut", chunk.length);
      }
    } catch (err) {
      if (!this.#isClosed) {
        this.#log.debug(`connection #${this.id} write failed: ${errorText(err)}`);
      }
      this.close();
    } finally {
      this.#writing = false;
      if (this.#queue.length > 0 && !this.#isClosed) {
        // Frames queued while the last write was in flight.
        this.#writing = true;
        queueMicrotask(() => this.#writeLoop());
      } else {
        this.#wakeDrainWaiters();
      }
    }
  }

  /** Takes queued frames, concatenated up to MAX_WRITE_CHUNK bytes. */
  #takeChunk(): Uint8Array {
    const queue = this.#queue;
    let count = 0;
    let size = 0;
    while (count < queue.length && (count === 0 || size + queue[count].length <= MAX_WRITE_CHUNK)) {
      size += queue[count].length;
      count++;
    }
    this.#counters.inc("framesOut", count);
    if (count === 1) return queue.shift()!;
    const chunk = new Uint8Array(size);
    let off = 0;
    for (const frame of queue.splice(0, count)) {
      chunk.set(frame, off);
      off += frame.length;
    }
    return chunk;
  }

  #wakeDrainWaiters(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const wake of waiters) wake();
  }
}
