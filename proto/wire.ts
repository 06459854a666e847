/**
 * The protobuf wire primitives the static codec (`messages.ts`) needs: varints,
 * `int32`/`uint32`/`bool` fields and length-delimited sub-messages. They behave
 * as protobufjs's `Reader`/`Writer` do for these types (negative `int32` as a
 * 10-byte varint, 64-bit varints truncated to their low 32 bits), without
 * loading an npm package: every isolate that speaks Lars (the agent's two, the
 * DNS, the reporter, clients) saves the package and its loader, 4-12 MiB of RSS.
 *
 * @module
 */

/** Builds one message; {@linkcode WireWriter.finish} answers the bytes. */
export class WireWriter {
  #buf = new Uint8Array(32);
  #len = 0;
  /** Start offsets of the sub-messages opened by {@linkcode WireWriter.fork}. */
  #forks: number[] = [];

  /** A new, empty writer. */
  static create(): WireWriter {
    return new WireWriter();
  }

  #ensure(extra: number): void {
    if (this.#len + extra <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + extra) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.#buf.subarray(0, this.#len));
    this.#buf = bigger;
  }

  /** Writes `value` as an unsigned 32-bit varint. */
  uint32(value: number): this {
    let v = value >>> 0;
    this.#ensure(5);
    const buf = this.#buf;
    while (v > 127) {
      buf[this.#len++] = (v & 127) | 128;
      v >>>= 7;
    }
    buf[this.#len++] = v;
    return this;
  }

  /** Writes `value` as a signed 32-bit varint: negative numbers take 10 bytes, as in protobuf. */
  int32(value: number): this {
    if (value >= 0) return this.uint32(value);
    this.#ensure(10);
    const buf = this.#buf;
    let v = value >>> 0;
    // Low 28 bits in four bytes, then the sign-extended rest (bits 28..63, all ones above 31).
    for (let i = 0; i < 4; i++) {
      buf[this.#len++] = (v & 127) | 128;
      v >>>= 7;
    }
    buf[this.#len++] = (v & 15) | 0x70 | 128; // bits 28..31, then ones for bits 32..34
    for (let i = 0; i < 4; i++) buf[this.#len++] = 255;
    buf[this.#len++] = 1;
    return this;
  }

  /** Writes a bool varint. */
  bool(value: boolean): this {
    this.#ensure(1);
    this.#buf[this.#len++] = value ? 1 : 0;
    return this;
  }

  /** Opens a length-delimited sub-message; {@linkcode WireWriter.ldelim} closes it. */
  fork(): this {
    this.#forks.push(this.#len);
    return this;
  }

  /** Closes the sub-message opened last, writing its length in front of it. */
  ldelim(): this {
    const start = this.#forks.pop();
    if (start === undefined) throw new Error("Cannot close sub-message: none is open");
    const body = this.#buf.slice(start, this.#len);
    this.#len = start;
    this.uint32(body.length);
    this.#ensure(body.length);
    this.#buf.set(body, this.#len);
    this.#len += body.length;
    return this;
  }

  /** The message's bytes (a copy; the writer is done). */
  finish(): Uint8Array {
    if (this.#forks.length > 0) throw new Error("Cannot finish: a sub-message is still open");
    return this.#buf.slice(0, this.#len);
  }
}

/** Reads one message from `buf`; every read past the end throws a `RangeError`. */
export class WireReader {
  /** Read position. */
  pos = 0;
  /** End of the message. */
  readonly len: number;
  readonly #buf: Uint8Array;

  /** A reader over `buf` from its start. */
  constructor(buf: Uint8Array) {
    this.#buf = buf;
    this.len = buf.length;
  }

  /** A reader over `buf` from its start. */
  static create(buf: Uint8Array): WireReader {
    return new WireReader(buf);
  }

  #byte(): number {
    if (this.pos >= this.len) {
      throw new RangeError(`Cannot decode message: read past its end (${this.len} bytes)`);
    }
    return this.#buf[this.pos++];
  }

  /** Reads a varint as an unsigned 32-bit number (higher bits of a 64-bit varint are dropped). */
  uint32(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.#byte();
      value = (value | ((b & 127) << shift)) >>> 0;
      if (b < 128) return value;
    }
    // Bytes 6..10 of a 64-bit varint carry only high bits: skip them.
    for (let i = 0; i < 5; i++) if (this.#byte() < 128) return value;
    throw new RangeError("Cannot decode message: varint longer than 10 bytes");
  }

  /** Reads a varint as a signed 32-bit number. */
  int32(): number {
    return this.uint32() | 0;
  }

  /** Reads a bool varint. */
  bool(): boolean {
    return this.uint32() !== 0;
  }

  /** Skips a field of wire type `wireType` whose tag was just read. */
  skipType(wireType: number): void {
    switch (wireType) {
      case 0:
        while (this.#byte() & 128);
        return;
      case 1:
        return this.#skip(8);
      case 2:
        return this.#skip(this.uint32());
      case 3: {
        for (;;) {
          const t = this.uint32();
          if ((t & 7) === 4) return;
          this.skipType(t & 7);
        }
      }
      case 5:
        return this.#skip(4);
      default:
        throw new Error(`Cannot decode message: invalid wire type ${wireType} at ${this.pos}`);
    }
  }

  #skip(n: number): void {
    if (this.pos + n > this.len) {
      throw new RangeError(`Cannot decode message: read past its end (${this.len} bytes)`);
    }
    this.pos += n;
  }
}
