/**
 * Codec benchmarks: the hand-written static codec (used by the services)
 * against protobufjs reflection built from lars.proto.
 *
 *     deno task bench
 */
import {
  GetHostResponseCodec,
  GetRouteResponseCodec,
  ipToInt,
  ReportStatusRequestCodec,
} from "../proto/mod.ts";
import { ReflectCodecs } from "../proto/reflect_codec.ts";

const hostResponse = {
  seq: 123456,
  modid: 10,
  cmdid: 20,
  retcode: 0,
  host: { ip: ipToInt("192.168.1.10"), port: 9000 },
};
const route = {
  modid: 10,
  cmdid: 20,
  host: Array.from({ length: 10 }, (_, i) => ({ ip: ipToInt("10.0.0.1") + i, port: 8000 + i })),
};
const status = {
  modid: 10,
  cmdid: 20,
  caller: ipToInt("10.1.2.3"),
  ts: 1_700_000_000,
  results: route.host.map((h, i) => ({ ...h, succ: 1000 + i, err: i, overload: i % 5 === 0 })),
};
const hostBytes = GetHostResponseCodec.encode(hostResponse);

Deno.bench({
  group: "encode GetHostResponse",
  name: "static",
  baseline: true,
  fn: () => {
    GetHostResponseCodec.encode(hostResponse);
  },
});
Deno.bench({
  group: "encode GetHostResponse",
  name: "reflection",
  fn: () => {
    ReflectCodecs.GetHostResponse.encode(hostResponse);
  },
});
Deno.bench({
  group: "decode GetHostResponse",
  name: "static",
  baseline: true,
  fn: () => {
    GetHostResponseCodec.decode(hostBytes);
  },
});
Deno.bench({
  group: "decode GetHostResponse",
  name: "reflection",
  fn: () => {
    ReflectCodecs.GetHostResponse.decode(hostBytes);
  },
});
Deno.bench({
  group: "GetRouteResponse 10 hosts round trip",
  name: "static",
  baseline: true,
  fn: () => {
    GetRouteResponseCodec.decode(GetRouteResponseCodec.encode(route));
  },
});
Deno.bench({
  group: "GetRouteResponse 10 hosts round trip",
  name: "reflection",
  fn: () => {
    ReflectCodecs.GetRouteResponse.decode(ReflectCodecs.GetRouteResponse.encode(route));
  },
});
Deno.bench({
  group: "ReportStatusRequest 10 results round trip",
  name: "static",
  baseline: true,
  fn: () => {
    ReportStatusRequestCodec.decode(ReportStatusRequestCodec.encode(status));
  },
});
Deno.bench({
  group: "ReportStatusRequest 10 results round trip",
  name: "reflection",
  fn: () => {
    ReflectCodecs.ReportStatusRequest.decode(ReflectCodecs.ReportStatusRequest.encode(status));
  },
});
