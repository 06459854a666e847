/**
 * Lars frames: an 8-byte header (`msgid` int32 LE, `msglen` int32 LE, the body
 * length) followed by a protobuf body. A frame is at most 65535 bytes. The
 * whole wire format is described in docs/protocol.md.
 *
 * @module
 */

/** Size of the frame header in bytes. */
export const HEADER_SIZE = 8;
/** Largest frame, header included, as in the original. */
export const MAX_FRAME_SIZE = 65535;
/** Largest body: `MAX_FRAME_SIZE - HEADER_SIZE`. */
export const MAX_BODY_SIZE = MAX_FRAME_SIZE - HEADER_SIZE;

/** A malformed frame: a negative or over-limit length, or a truncated datagram. */
export class FrameError extends Error {
  /** Creates the error with a sentence-case message. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "FrameError";
  }
}

/**
 * Builds one frame from a message id and an encoded body.
 *
 * @throws {FrameError} when the body exceeds {@linkcode MAX_BODY_SIZE}
 */
export function encodeFrame(msgid: number, body: Uint8Array): Uint8Array {
  if (body.length > MAX_BODY_SIZE) {
    throw new FrameError(`Cannot encode frame: msglen ${body.length} exceeds ${MAX_BODY_SIZE}`);
  }
  const frame = new Uint8Array(HEADER_SIZE + body.length);
  writeHeader(frame, 0, msgid, body.length);
  frame.set(body, HEADER_SIZE);
  return frame;
}

/** Writes a frame header at `offset` of `target`. */
export function writeHeader(
  target: Uint8Array,
  offset: number,
  msgid: number,
  msglen: number,
): void {
  const view = new DataView(target.buffer, target.byteOffset + offset, HEADER_SIZE);
  view.setInt32(0, msgid, true);
  view.setInt32(4, msglen, true);
}

/**
 * Reads and checks the header at the start of `data`.
 *
 * @throws {FrameError} when `msglen` is negative or over the limit
 */
export function readHeader(data: Uint8Array, offset = 0): { msgid: number; msglen: number } {
  return { msgid: int32At(data, offset), msglen: checkedLength(int32At(data, offset + 4)) };
}

/** Little-endian int32 at `offset` (no bounds check: the caller knows 4 bytes are there). */
function int32At(data: Uint8Array, offset: number): number {
  return data[offset] | (data[offset + 1] << 8) | (data[offset + 2] << 16) |
    (data[offset + 3] << 24);
}

/** Checks a header's `msglen`; answers it or throws. */
function checkedLength(msglen: number): number {
  if (msglen < 0) throw new FrameError(`Cannot parse frame: msglen ${msglen} is negative`);
  if (msglen > MAX_BODY_SIZE) {
    throw new FrameError(`Cannot parse frame: msglen ${msglen} exceeds ${MAX_BODY_SIZE}`);
  }
  return msglen;
}

/**
 * Parses a datagram that must hold exactly one frame (UDP).
 *
 * @throws {FrameError} when the datagram is short, long or malformed
 */
export function decodeDatagram(data: Uint8Array): { msgid: number; body: Uint8Array } {
  if (data.length < HEADER_SIZE) {
    throw new FrameError(`Cannot parse datagram: ${data.length} bytes is shorter than a header`);
  }
  const { msgid, msglen } = readHeader(data);
  if (data.length !== HEADER_SIZE + msglen) {
    throw new FrameError(
      `Cannot parse datagram: msglen ${msglen} does not match ${
        data.length - HEADER_SIZE
      } body bytes`,
    );
  }
  return { msgid, body: data.subarray(HEADER_SIZE) };
}

/** Called once per complete frame. `body` is only valid until the callback returns. */
export type FrameHandler = (msgid: number, body: Uint8Array) => void;

/**
 * Streaming frame decoder for TCP. Feed it reads of any size; it calls the
 * handler once per complete frame, in order. Frames wholly inside a chunk are
 * handed out as views of that chunk (no copy); only a frame split across reads
 * is copied, once, into a pending buffer, so decoding is linear in the input.
 *
 * After a {@linkcode FrameError} the stream is out of sync and the decoder
 * refuses further input: close the connection.
 */
export class FrameDecoder {
  #pending = new Uint8Array(HEADER_SIZE);
  #pendingLen = 0;
  #need = HEADER_SIZE; // bytes the pending frame needs in all (header, then header + body)
  #msgid = 0;
  #broken: FrameError | null = null;

  /** Number of bytes held for an incomplete frame. */
  get buffered(): number {
    return this.#pendingLen;
  }

  /**
   * Feeds one chunk of the stream.
   *
   * @throws {FrameError} on a malformed header (and on every later call)
   */
  push(chunk: Uint8Array, onFrame: FrameHandler): void {
    if (this.#broken) throw this.#broken;
    let pos = 0;
    const end = chunk.length;
    try {
      // Finish a frame that an earlier chunk started.
      if (this.#pendingLen > 0) {
        pos = this.#fillPending(chunk, 0);
        if (this.#pendingLen < this.#need) return;
        if (this.#need === HEADER_SIZE) {
          const { msgid, msglen } = readHeader(this.#pending);
          this.#msgid = msgid;
          this.#need = HEADER_SIZE + msglen;
          this.#ensureCapacity(this.#need);
          pos = this.#fillPending(chunk, pos);
          if (this.#pendingLen < this.#need) return;
        }
        const msgid = this.#msgid;
        const body = this.#pending.subarray(HEADER_SIZE, this.#need);
        this.#pendingLen = 0;
        this.#need = HEADER_SIZE;
        onFrame(msgid, body);
      }
      // Whole frames straight from the chunk.
      while (end - pos >= HEADER_SIZE) {
        const frameEnd = pos + HEADER_SIZE + checkedLength(int32At(chunk, pos + 4));
        if (frameEnd > end) break;
        onFrame(int32At(chunk, pos), chunk.subarray(pos + HEADER_SIZE, frameEnd));
        pos = frameEnd;
      }
      // Keep the tail for the next chunk.
      if (pos < end) {
        if (end - pos >= HEADER_SIZE) {
          const { msgid, msglen } = readHeader(chunk, pos);
          this.#msgid = msgid;
          this.#need = HEADER_SIZE + msglen;
        } else {
          this.#need = HEADER_SIZE;
        }
        this.#ensureCapacity(this.#need);
        this.#pending.set(chunk.subarray(pos, end), 0);
        this.#pendingLen = end - pos;
      }
    } catch (err) {
      if (err instanceof FrameError) this.#broken = err;
      throw err;
    }
  }

  #fillPending(chunk: Uint8Array, from: number): number {
    const take = Math.min(this.#need - this.#pendingLen, chunk.length - from);
    this.#pending.set(chunk.subarray(from, from + take), this.#pendingLen);
    this.#pendingLen += take;
    return from + take;
  }

  #ensureCapacity(size: number): void {
    if (this.#pending.length >= size) return;
    let cap = this.#pending.length;
    while (cap < size) cap *= 2;
    const next = new Uint8Array(Math.min(cap, MAX_FRAME_SIZE));
    next.set(this.#pending.subarray(0, this.#pendingLen));
    this.#pending = next;
  }
}
