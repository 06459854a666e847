/**
 * The Lars protobuf messages as TypeScript types, with a hand-written static
 * codec on the wire primitives of `wire.ts` (the same code `pbjs -t static`
 * generates, minus its object plumbing, and no npm package to load;
 * `bench/codec_bench.ts` compares it with protobufjs reflection). Encoding omits zero-valued scalars, as C++ proto3 does, so our
 * bytes equal the original's. Addresses are unsigned here and signed `int32`
 * on the wire; the codec converts both ways.
 *
 * @module
 */
import { WireReader as Reader, WireWriter as Writer } from "./wire.ts";

type ReaderT = Reader;
type WriterT = Writer;

/** One server of a module. `ip` is the unsigned IPv4 value. */
export interface HostInfo {
  /** IPv4 address, unsigned (`127.0.0.1` is `2130706433`). */
  ip: number;
  /** TCP/UDP port. */
  port: number;
  /**
   * Relative share of picks (field 3, our addition; absent or 0 means 1, so a
   * decoder leaves it out when 0). The original's agents skip it as an unknown
   * field, and our agents take 1 when the original's DNS does not send it.
   */
  weight?: number;
  /**
   * The fleet's verdict (field 4, our addition): true when enough of the
   * agents calling this host reported it overloaded lately. An agent that has
   * not called the host yet starts it in probing state. Absent means false.
   */
  fleetOverload?: boolean;
}

/** Largest {@linkcode HostInfo.weight} a route may give a host; agents clamp larger ones. */
export const MAX_HOST_WEIGHT = 10_000;

/** Which hosts serve `(modid, cmdid)`; also the body of API_GetRouteRequest. */
export interface GetRouteRequest {
  /** Module id. */
  modid: number;
  /** Command id within the module. */
  cmdid: number;
}

/** The hosts of a module; also the body of API_GetRouteResponse. */
export interface GetRouteResponse {
  /** Module id. */
  modid: number;
  /** Command id within the module. */
  cmdid: number;
  /** Every host of the module; empty when the module is unknown. */
  host: HostInfo[];
}

/** Call statistics of one host, inside a {@linkcode ReportStatusRequest}. */
export interface HostCallResult {
  /** IPv4 address, unsigned. */
  ip: number;
  /** Port. */
  port: number;
  /** Successful calls in the current window. */
  succ: number;
  /** Failed calls in the current window. */
  err: number;
  /** Whether the host is in the overload list. */
  overload: boolean;
}

/** Statistics of one module, sent by an agent to the reporter. */
export interface ReportStatusRequest {
  /** Module id. */
  modid: number;
  /** Command id. */
  cmdid: number;
  /** The reporting agent's IPv4 address, unsigned. */
  caller: number;
  /** One entry per host. */
  results: HostCallResult[];
  /** Unix time in seconds. */
  ts: number;
}

/** API -> agent: choose a host. */
export interface GetHostRequest {
  /** Sequence number, echoed in the response. */
  seq: number;
  /** Module id. */
  modid: number;
  /** Command id. */
  cmdid: number;
}

/** Agent -> API: the chosen host, or why there is none. */
export interface GetHostResponse {
  /** The request's sequence number. */
  seq: number;
  /** Module id. */
  modid: number;
  /** Command id. */
  cmdid: number;
  /** A {@linkcode RetCode} value. */
  retcode: number;
  /** The host, when `retcode` is `RET_SUCC`. */
  host?: HostInfo;
}

/** API -> agent: outcome of one call to a host. */
export interface ReportRequest {
  /** Module id. */
  modid: number;
  /** Command id. */
  cmdid: number;
  /** The host that was called. */
  host?: HostInfo;
  /** 0 for success, anything else for failure. */
  retcode: number;
}

/** Encodes and decodes one message type. */
export interface Codec<T> {
  /** Protobuf bytes of `message`. */
  encode(message: T): Uint8Array;
  /**
   * Parses protobuf bytes.
   *
   * @throws {Error} on truncated input or a field with the wrong wire type
   */
  decode(bytes: Uint8Array): T;
}

const VARINT = 0;
const LEN = 2;

function tag(field: number, wireType: number): number {
  return (field << 3) | wireType;
}

function badWireType(message: string, field: number, wireType: number): Error {
  return new Error(`Cannot decode ${message}: field ${field} has wire type ${wireType}`);
}

function int32Field(w: WriterT, field: number, value: number): void {
  if (value !== 0) w.uint32(tag(field, VARINT)).int32(value);
}

function uint32Field(w: WriterT, field: number, value: number): void {
  if (value !== 0) w.uint32(tag(field, VARINT)).uint32(value);
}

/** Reads a message of `length` bytes (or to the end), calling `field` per field. */
function readFields(
  r: ReaderT,
  length: number | undefined,
  field: (no: number, wireType: number) => boolean,
): void {
  const end = length === undefined ? r.len : r.pos + length;
  while (r.pos < end) {
    const t = r.uint32();
    const no = t >>> 3;
    const wt = t & 7;
    if (no === 0) throw new Error("Cannot decode message: field number 0");
    if (!field(no, wt)) r.skipType(wt);
  }
  if (r.pos > end) throw new Error("Cannot decode message: field overruns its length");
}

function encodeHostInfoTo(w: WriterT, h: HostInfo): void {
  int32Field(w, 1, h.ip | 0);
  int32Field(w, 2, h.port);
  if (h.weight !== undefined) int32Field(w, 3, h.weight);
  if (h.fleetOverload) w.uint32(tag(4, VARINT)).bool(true);
}

function decodeHostInfoFrom(r: ReaderT, length?: number): HostInfo {
  const h: HostInfo = { ip: 0, port: 0 };
  readFields(r, length, (no, wt) => {
    if (no < 1 || no > 4) return false;
    if (wt !== VARINT) throw badWireType("HostInfo", no, wt);
    if (no === 1) h.ip = r.int32() >>> 0;
    else if (no === 2) h.port = r.int32();
    else if (no === 3) {
      const weight = r.int32();
      if (weight !== 0) h.weight = weight;
    } else if (r.bool()) h.fleetOverload = true;
    return true;
  });
  return h;
}

function encodeCallResultTo(w: WriterT, c: HostCallResult): void {
  int32Field(w, 1, c.ip | 0);
  int32Field(w, 2, c.port);
  uint32Field(w, 3, c.succ);
  uint32Field(w, 4, c.err);
  if (c.overload) w.uint32(tag(5, VARINT)).bool(true);
}

function decodeCallResultFrom(r: ReaderT, length: number): HostCallResult {
  const c: HostCallResult = { ip: 0, port: 0, succ: 0, err: 0, overload: false };
  readFields(r, length, (no, wt) => {
    if (no < 1 || no > 5) return false;
    if (wt !== VARINT) throw badWireType("HostCallResult", no, wt);
    if (no === 1) c.ip = r.int32() >>> 0;
    else if (no === 2) c.port = r.int32();
    else if (no === 3) c.succ = r.uint32();
    else if (no === 4) c.err = r.uint32();
    else c.overload = r.bool();
    return true;
  });
  return c;
}

function embedded(w: WriterT, field: number, write: (w: WriterT) => void): void {
  w.uint32(tag(field, LEN)).fork();
  write(w);
  w.ldelim();
}

/** Codec of {@linkcode HostInfo}. */
export const HostInfoCodec: Codec<HostInfo> = {
  encode(m) {
    const w = Writer.create();
    encodeHostInfoTo(w, m);
    return w.finish();
  },
  decode(bytes) {
    return decodeHostInfoFrom(Reader.create(bytes));
  },
};

/** Codec of {@linkcode GetRouteRequest}. */
export const GetRouteRequestCodec: Codec<GetRouteRequest> = {
  encode(m) {
    const w = Writer.create();
    int32Field(w, 1, m.modid);
    int32Field(w, 2, m.cmdid);
    return w.finish();
  },
  decode(bytes) {
    const r = Reader.create(bytes);
    const m: GetRouteRequest = { modid: 0, cmdid: 0 };
    readFields(r, undefined, (no, wt) => {
      if (no !== 1 && no !== 2) return false;
      if (wt !== VARINT) throw badWireType("GetRouteRequest", no, wt);
      if (no === 1) m.modid = r.int32();
      else m.cmdid = r.int32();
      return true;
    });
    return m;
  },
};

/** Codec of {@linkcode GetRouteResponse}. */
export const GetRouteResponseCodec: Codec<GetRouteResponse> = {
  encode(m) {
    const w = Writer.create();
    int32Field(w, 1, m.modid);
    int32Field(w, 2, m.cmdid);
    for (const h of m.host) embedded(w, 3, (w) => encodeHostInfoTo(w, h));
    return w.finish();
  },
  decode(bytes) {
    const r = Reader.create(bytes);
    const m: GetRouteResponse = { modid: 0, cmdid: 0, host: [] };
    readFields(r, undefined, (no, wt) => {
      if (no < 1 || no > 3) return false;
      if (no === 3) {
        if (wt !== LEN) throw badWireType("GetRouteResponse", no, wt);
        m.host.push(decodeHostInfoFrom(r, r.uint32()));
        return true;
      }
      if (wt !== VARINT) throw badWireType("GetRouteResponse", no, wt);
      if (no === 1) m.modid = r.int32();
      else m.cmdid = r.int32();
      return true;
    });
    return m;
  },
};

/** Codec of {@linkcode ReportStatusRequest}. */
export const ReportStatusRequestCodec: Codec<ReportStatusRequest> = {
  encode(m) {
    const w = Writer.create();
    int32Field(w, 1, m.modid);
    int32Field(w, 2, m.cmdid);
    int32Field(w, 3, m.caller | 0);
    for (const c of m.results) embedded(w, 4, (w) => encodeCallResultTo(w, c));
    uint32Field(w, 5, m.ts);
    return w.finish();
  },
  decode(bytes) {
    const r = Reader.create(bytes);
    const m: ReportStatusRequest = { modid: 0, cmdid: 0, caller: 0, results: [], ts: 0 };
    readFields(r, undefined, (no, wt) => {
      if (no < 1 || no > 5) return false;
      if (no === 4) {
        if (wt !== LEN) throw badWireType("ReportStatusRequest", no, wt);
        m.results.push(decodeCallResultFrom(r, r.uint32()));
        return true;
      }
      if (wt !== VARINT) throw badWireType("ReportStatusRequest", no, wt);
      if (no === 1) m.modid = r.int32();
      else if (no === 2) m.cmdid = r.int32();
      else if (no === 3) m.caller = r.int32() >>> 0;
      else m.ts = r.uint32();
      return true;
    });
    return m;
  },
};

/** Codec of {@linkcode GetHostRequest}. */
export const GetHostRequestCodec: Codec<GetHostRequest> = {
  encode(m) {
    const w = Writer.create();
    uint32Field(w, 1, m.seq);
    int32Field(w, 2, m.modid);
    int32Field(w, 3, m.cmdid);
    return w.finish();
  },
  decode(bytes) {
    const r = Reader.create(bytes);
    const m: GetHostRequest = { seq: 0, modid: 0, cmdid: 0 };
    readFields(r, undefined, (no, wt) => {
      if (no < 1 || no > 3) return false;
      if (wt !== VARINT) throw badWireType("GetHostRequest", no, wt);
      if (no === 1) m.seq = r.uint32();
      else if (no === 2) m.modid = r.int32();
      else m.cmdid = r.int32();
      return true;
    });
    return m;
  },
};

/** Codec of {@linkcode GetHostResponse}. */
export const GetHostResponseCodec: Codec<GetHostResponse> = {
  encode(m) {
    const w = Writer.create();
    uint32Field(w, 1, m.seq);
    int32Field(w, 2, m.modid);
    int32Field(w, 3, m.cmdid);
    int32Field(w, 4, m.retcode);
    const host = m.host;
    if (host) embedded(w, 5, (w) => encodeHostInfoTo(w, host));
    return w.finish();
  },
  decode(bytes) {
    const r = Reader.create(bytes);
    const m: GetHostResponse = { seq: 0, modid: 0, cmdid: 0, retcode: 0 };
    readFields(r, undefined, (no, wt) => {
      if (no < 1 || no > 5) return false;
      if (no === 5) {
        if (wt !== LEN) throw badWireType("GetHostResponse", no, wt);
        m.host = decodeHostInfoFrom(r, r.uint32());
        return true;
      }
      if (wt !== VARINT) throw badWireType("GetHostResponse", no, wt);
      if (no === 1) m.seq = r.uint32();
      else if (no === 2) m.modid = r.int32();
      else if (no === 3) m.cmdid = r.int32();
      else m.retcode = r.int32();
      return true;
    });
    return m;
  },
};

/** Codec of {@linkcode ReportRequest}. */
export const ReportRequestCodec: Codec<ReportRequest> = {
  encode(m) {
    const w = Writer.create();
    int32Field(w, 1, m.modid);
    int32Field(w, 2, m.cmdid);
    const host = m.host;
    if (host) embedded(w, 3, (w) => encodeHostInfoTo(w, host));
    int32Field(w, 4, m.retcode);
    return w.finish();
  },
  decode(bytes) {
    const r = Reader.create(bytes);
    const m: ReportRequest = { modid: 0, cmdid: 0, retcode: 0 };
    readFields(r, undefined, (no, wt) => {
      if (no < 1 || no > 4) return false;
      if (no === 3) {
        if (wt !== LEN) throw badWireType("ReportRequest", no, wt);
        m.host = decodeHostInfoFrom(r, r.uint32());
        return true;
      }
      if (wt !== VARINT) throw badWireType("ReportRequest", no, wt);
      if (no === 1) m.modid = r.int32();
      else if (no === 2) m.cmdid = r.int32();
      else m.retcode = r.int32();
      return true;
    });
    return m;
  },
};
