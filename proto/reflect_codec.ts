/**
 * The same codecs as `messages.ts`, built by protobufjs reflection from
 * `lars.proto` at load time. Not used by the services: it exists so tests can
 * check the hand-written codec against the .proto file, and so
 * `bench/codec_bench.ts` can show which of the two is faster. Needs read
 * access to `proto/lars.proto`.
 *
 * @module
 */
import protobuf from "npm:protobufjs@8.8.1";
import type {
  Codec,
  GetHostRequest,
  GetHostResponse,
  GetRouteRequest,
  GetRouteResponse,
  HostInfo,
  ReportRequest,
  ReportStatusRequest,
} from "./messages.ts";

const root = protobuf.parse(
  Deno.readTextFileSync(new URL("./lars.proto", import.meta.url)),
  { keepCase: true },
).root;

type Plain = Record<string, unknown>;

/** Fields holding IPv4 values: unsigned in our types, int32 on the wire. */
const IP_FIELDS = new Set(["ip", "caller"]);

/** Our optional additions: left out of our objects when 0 or false (absent on the wire). */
const OPTIONAL_FIELDS = new Set(["weight", "fleetOverload"]);

/** Our property names whose .proto field name differs (snake case there). */
const PROTO_NAMES: Record<string, string> = { fleetOverload: "fleet_overload" };
const OUR_NAMES: Record<string, string> = Object.fromEntries(
  Object.entries(PROTO_NAMES).map(([ours, proto]) => [proto, ours]),
);

/** Our object -> protobufjs input: signed addresses, zero scalars left out (as C++ does). */
function toWire(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toWire);
  if (value === null || typeof value !== "object") return value;
  const out: Plain = {};
  for (const [k, v] of Object.entries(value as Plain)) {
    if (v === 0 || v === false || v === undefined) continue;
    out[PROTO_NAMES[k] ?? k] = IP_FIELDS.has(k) && typeof v === "number" ? v | 0 : toWire(v);
  }
  return out;
}

/** protobufjs output -> our object: unsigned addresses, absent sub-messages left out. */
function fromWire(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromWire);
  if (value === null || typeof value !== "object") return value;
  const out: Plain = {};
  for (const [name, v] of Object.entries(value as Plain)) {
    const k = OUR_NAMES[name] ?? name;
    if (v === null || ((v === 0 || v === false) && OPTIONAL_FIELDS.has(k))) continue;
    out[k] = IP_FIELDS.has(k) && typeof v === "number" ? v >>> 0 : fromWire(v);
  }
  return out;
}

function reflectCodec<T>(name: string): Codec<T> {
  const type = root.lookupType(`lars.${name}`);
  return {
    encode: (m) => type.encode(type.fromObject(toWire(m) as Plain)).finish(),
    decode: (bytes) =>
      fromWire(
        type.toObject(type.decode(bytes), { defaults: true, arrays: true }),
      ) as T,
  };
}

/** Reflection codecs by message name. */
export const ReflectCodecs = {
  HostInfo: reflectCodec<HostInfo>("HostInfo"),
  GetRouteRequest: reflectCodec<GetRouteRequest>("GetRouteRequest"),
  GetRouteResponse: reflectCodec<GetRouteResponse>("GetRouteResponse"),
  ReportStatusRequest: reflectCodec<ReportStatusRequest>("ReportStatusRequest"),
  GetHostRequest: reflectCodec<GetHostRequest>("GetHostRequest"),
  GetHostResponse: reflectCodec<GetHostResponse>("GetHostResponse"),
  ReportRequest: reflectCodec<ReportRequest>("ReportRequest"),
};
