/**
 * A TCP connection that speaks Lars frames: a read loop that decodes frames
 * and routes them, and an ordered, coalescing write queue with a bound.
 * Shared by {@linkcode TcpServer} and {@linkcode TcpClient}.
 *
 * @module
 */
import { encodeFrame, FrameDecoder, FrameError } from "../proto/frame.ts";
import type { DropLog } from "./drop_log.ts";
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
/** After bad input, how long replies already queued may take to go out before the close. */
const FLUSH_BEFORE_CLOSE_MS = 1000;

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
  /**
   * Where frames with an unknown msgid are counted and logged in bounded
   * volume (one summary line per peer per interval); without it, they are
   * logged through `log.warnThrottled` under one key.
   */
  unknownLog?: DropLog;
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
  /** `performance.now()` when the connection was wrapped (accepted or connected). */
  readonly openedAt: number = performance.now();

  #conn: TcpConn;
  #router: MessageRouter<Ctx>;
  #ctx: () => Ctx;
  #counters: NetCounters;
  #log: Logger;
  #maxQueuedBytes: number;
  #unknownLog: DropLog | undefined;
  #framesReceived = 0;
  #partialSince = 0;
  #stopped = false;
  #readBufferSize = 0;
  #readBufferPeak = 0;
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
    this.#unknownLog = options.unknownLog;
    this.remoteAddr = options.conn.remoteAddr;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  /** True once closed. */
  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Complete frames received so far. */
  get framesReceived(): number {
    return this.#framesReceived;
  }

  /**
   * `performance.now()` when the peer started the frame it has not finished
   * yet (part of a header or body is buffered), or 0 when no frame is open.
   * Servers close connections whose open frame is older than a deadline.
   */
  get partialFrameSince(): number {
    return this.#partialSince;
  }

  /** Size of the read buffer now: 4 KiB, doubled up to 64 KiB while reads fill it. */
  get readBufferSize(): number {
    return this.#readBufferSize;
  }

  /** Largest read buffer this connection has had. */
  get readBufferPeak(): number {
    return this.#readBufferPeak;
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

  /**
   * Stops handling input at once, then closes after what is queued (replies
   * to the good frames that came before bad input) is written, or after
   * `FLUSH_BEFORE_CLOSE_MS` if the peer does not read.
   */
  #closeAfterFlush(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    Promise.race([
      this.drain(),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, FLUSH_BEFORE_CLOSE_MS))),
    ]).then(() => {
      clearTimeout(timer);
      this.close();
    });
  }

  async #readLoop(): Promise<void> {
    // Small at first and again once reads are small (1,000 agents idle after their pulls must
    // not cost 64 MiB), doubled while reads fill it.
    let buf = new Uint8Array(INITIAL_READ_BUFFER);
    this.#readBufferSize = buf.length;
    const decoder = new FrameDecoder();
    const onFrame = (msgid: number, body: Uint8Array) => this.#onFrame(msgid, body);
    try {
      while (!this.#isClosed && !this.#stopped) {
        const n = await this.#conn.read(buf);
        if (n === null || this.#stopped) break;
        this.#counters.inc("bytesIn", n);
        while (loopStarved()) await loopTurn();
        decoder.push(buf.subarray(0, n), onFrame);
        if (decoder.buffered === 0) this.#partialSince = 0;
        else if (this.#partialSince === 0) this.#partialSince = performance.now();
        if (n === buf.length && buf.length < MAX_READ_BUFFER) buf = new Uint8Array(buf.length * 2);
        else if (n < buf.length / 2 && buf.length > INITIAL_READ_BUFFER) {
          // The socket had less than half a buffer: the burst is over (or the rate fell).
          buf = new Uint8Array(INITIAL_READ_BUFFER);
        }
        this.#readBufferSize = buf.length;
        if (buf.length > this.#readBufferPeak) this.#readBufferPeak = buf.length;
      }
    } catch (err) {
      if (err instanceof FrameError) {
        this.#counters.inc("badFrames");
        this.#log.warnThrottled(
          "bad-frame",
          `closing connection #${this.id} from ${addrText(this.remoteAddr)}: ${err.message}`,
        );
        // Replies to the good frames before the bad header still go out.
        this.#closeAfterFlush();
        return;
      }
      if (!this.#isClosed) this.#log.debug(`connection #${this.id} read failed: ${errorText(err)}`);
      this.close();
      return;
    }
    // At end of stream (or after a malformed body), what is queued still goes out:
    // a peer that half-closes after its last request gets its answer.
    if (!this.#isClosed) this.#closeAfterFlush();
  }

  #onFrame(msgid: number, body: Uint8Array): void {
    if (this.#isClosed || this.#stopped) return;
    this.#framesReceived++;
    this.#counters.inc("framesIn");
    const result = this.#router.dispatch(msgid, body, this.#ctx());
    switch (result.kind) {
      case "handled":
        return;
      case "unknown":
        this.#counters.inc("unknownMsgid");
        if (this.#unknownLog) this.#unknownLog.add(addrText(this.remoteAddr), `msgid ${msgid}`);
        else {
          this.#log.warnThrottled(
            "unknown-msgid",
            `skipping frame with unknown msgid ${msgid} from ${addrText(this.remoteAddr)}`,
          );
        }
        return;
      case "malformed":
        this.#counters.inc("badFrames");
        this.#log.warnThrottled(
          "malformed",
          `closing connection #${this.id} from ${addrText(this.remoteAddr)}: ` +
            `msgid ${msgid}: ${result.error.message}`,
        );
        this.#closeAfterFlush();
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
