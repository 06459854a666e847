import assert from "node:assert/strict";
import {
  GetHostRequestCodec,
  GetHostResponseCodec,
  GetRouteRequestCodec,
  GetRouteResponseCodec,
  HostInfoCodec,
  intToIp,
  ipToInt,
  ReportRequestCodec,
  ReportStatusRequestCodec,
} from "../../proto/mod.ts";
import protobuf from "npm:protobufjs@8.8.1";
import { ReflectCodecs } from "../../proto/reflect_codec.ts";
import { randInt, withSeed } from "../support/random.ts";

function hex(text: string): Uint8Array {
  return new Uint8Array(text.split(" ").map((b) => parseInt(b, 16)));
}

function bytes(u: Uint8Array): number[] {
  return [...u];
}

// Vectors worked out by hand from the protobuf encoding rules (what C++
// libprotobuf writes for proto3: zero scalars omitted, negative int32 as a
// 10-byte varint).
const CPP_VECTORS = {
  getHostResponse: hex("08 07 10 01 18 01 2a 0e 08 81 82 a0 85 fc ff ff ff ff 01 10 a8 46"),
  reportStatus: hex(
    "08 0a 10 14 18 81 80 80 50 22 13 08 ff ff ff ff ff ff ff ff ff 01 10 50 18 64 20 03 28 01 " +
      "28 80 e2 cf aa 06",
  ),
  getRouteResponse: hex(
    "08 01 10 02 1a 09 08 81 80 80 f8 07 10 e1 3c 1a 0d 08 83 84 84 c0 fc ff ff ff ff 01 10 50",
  ),
  reportRequest: hex("08 03 10 04 1a 08 08 81 80 80 f8 07 10 50 20 01"),
};

Deno.test("codec - decodes GetHostResponse bytes of the C++ encoder", () => {
  const m = GetHostResponseCodec.decode(CPP_VECTORS.getHostResponse);
  assert.deepEqual(m, {
    seq: 7,
    modid: 1,
    cmdid: 1,
    retcode: 0,
    host: { ip: ipToInt("192.168.1.1"), port: 9000 },
  });
  assert.deepEqual(bytes(GetHostResponseCodec.encode(m)), bytes(CPP_VECTORS.getHostResponse));
});

Deno.test("codec - decodes ReportStatusRequest bytes of the C++ encoder", () => {
  const m = ReportStatusRequestCodec.decode(CPP_VECTORS.reportStatus);
  assert.deepEqual(m, {
    modid: 10,
    cmdid: 20,
    caller: ipToInt("10.0.0.1"),
    results: [{ ip: 0xFFFFFFFF, port: 80, succ: 100, err: 3, overload: true }],
    ts: 1700000000,
  });
  assert.deepEqual(bytes(ReportStatusRequestCodec.encode(m)), bytes(CPP_VECTORS.reportStatus));
});

Deno.test("codec - decodes GetRouteResponse and ReportRequest bytes of the C++ encoder", () => {
  const route = GetRouteResponseCodec.decode(CPP_VECTORS.getRouteResponse);
  assert.deepEqual(route.host.map((h) => `${intToIp(h.ip)}:${h.port}`), [
    "127.0.0.1:7777",
    "200.1.2.3:80",
  ]);
  assert.deepEqual(
    bytes(GetRouteResponseCodec.encode(route)),
    bytes(CPP_VECTORS.getRouteResponse),
  );
  const report = ReportRequestCodec.decode(CPP_VECTORS.reportRequest);
  assert.deepEqual(report, {
    modid: 3,
    cmdid: 4,
    host: { ip: ipToInt("127.0.0.1"), port: 80 },
    retcode: 1,
  });
  assert.deepEqual(bytes(ReportRequestCodec.encode(report)), bytes(CPP_VECTORS.reportRequest));
});

Deno.test("codec - empty messages encode to zero bytes and decode to defaults", () => {
  assert.equal(GetRouteRequestCodec.encode({ modid: 0, cmdid: 0 }).length, 0);
  assert.deepEqual(GetRouteRequestCodec.decode(new Uint8Array()), { modid: 0, cmdid: 0 });
  assert.deepEqual(GetRouteResponseCodec.decode(new Uint8Array()), {
    modid: 0,
    cmdid: 0,
    host: [],
  });
});

Deno.test("codec - skips unknown fields", () => {
  // modid=5, unknown field 9 (varint 1), unknown field 10 (len 2), cmdid=6
  const m = GetRouteRequestCodec.decode(hex("08 05 48 01 52 02 aa bb 10 06"));
  assert.deepEqual(m, { modid: 5, cmdid: 6 });
});

Deno.test("codec - HostInfo weight (field 3) is optional both ways: the original's schema skips it", () => {
  // The original's lars.proto: HostInfo without field 3.
  const original = protobuf.parse(
    'syntax = "proto3"; message HostInfo { int32 ip = 1; int32 port = 2; } ' +
      "message GetRouteResponse { int32 modid = 1; int32 cmdid = 2; repeated HostInfo host = 3; }",
  ).root.lookupType("GetRouteResponse");
  const ours = {
    modid: 1,
    cmdid: 2,
    host: [{ ip: 0x0A000001, port: 80, weight: 3, fleetOverload: true }],
  };
  const fromUs = original.toObject(original.decode(GetRouteResponseCodec.encode(ours)));
  assert.deepEqual(fromUs, { modid: 1, cmdid: 2, host: [{ ip: 0x0A000001, port: 80 }] });
  const theirs = original.encode(original.fromObject(fromUs)).finish();
  assert.deepEqual(GetRouteResponseCodec.decode(theirs), {
    ...ours,
    host: [{ ip: 0x0A000001, port: 80 }],
  });
  // Weight 0 is the proto3 default: not sent, and decoded as absent.
  assert.deepEqual(bytes(HostInfoCodec.encode({ ip: 1, port: 2, weight: 0 })), [8, 1, 16, 2]);
  assert.deepEqual(HostInfoCodec.decode(hex("08 01 10 02 18 05")), { ip: 1, port: 2, weight: 5 });
});

Deno.test("codec - rejects truncated input and wrong wire types", () => {
  assert.throws(() => GetRouteRequestCodec.decode(hex("08")));
  assert.throws(() => GetRouteResponseCodec.decode(hex("1a 09 08 01")));
  assert.throws(() => GetHostRequestCodec.decode(hex("0a 01 00")), /wire type/);
  assert.throws(() => HostInfoCodec.decode(hex("00 01")), /field number 0/);
});

function randomIp(random: () => number): number {
  const pick = random();
  if (pick < 0.2) return 0xFFFFFFFF;
  if (pick < 0.3) return 0x80000000;
  return randInt(random, 0, 0xFFFFFFFF);
}

function randomInt32(random: () => number): number {
  return random() < 0.2 ? -randInt(random, 1, 2 ** 31) : randInt(random, 0, 2 ** 31 - 1);
}

Deno.test("codec - every message round-trips and agrees with reflection (random)", () => {
  withSeed((random) => {
    for (let i = 0; i < 500; i++) {
      const host = () => ({
        ip: randomIp(random),
        port: randInt(random, 0, 65535),
        ...(random() < 0.3 ? { weight: randInt(random, 1, 10_000) } : {}),
        ...(random() < 0.2 ? { fleetOverload: true } : {}),
      });
      const hosts = Array.from({ length: randInt(random, 0, 5) }, host);
      const modid = randomInt32(random);
      const cmdid = randomInt32(random);
      const cases: [
        string,
        { encode(m: never): Uint8Array; decode(b: Uint8Array): unknown },
        unknown,
      ][] = [
        ["HostInfo", HostInfoCodec, host()],
        ["GetRouteRequest", GetRouteRequestCodec, { modid, cmdid }],
        ["GetRouteResponse", GetRouteResponseCodec, { modid, cmdid, host: hosts }],
        ["ReportStatusRequest", ReportStatusRequestCodec, {
          modid,
          cmdid,
          caller: randomIp(random),
          results: hosts.map(({ ip, port }) => ({
            ip,
            port,
            succ: randInt(random, 0, 0xFFFFFFFF),
            err: randInt(random, 0, 1000),
            overload: random() < 0.5,
          })),
          ts: randInt(random, 0, 0xFFFFFFFF),
        }],
        ["GetHostRequest", GetHostRequestCodec, {
          seq: randInt(random, 0, 0xFFFFFFFF),
          modid,
          cmdid,
        }],
        ["GetHostResponse", GetHostResponseCodec, {
          seq: randInt(random, 0, 0xFFFFFFFF),
          modid,
          cmdid,
          retcode: randInt(random, 0, 3),
          ...(random() < 0.7 ? { host: host() } : {}),
        }],
        ["ReportRequest", ReportRequestCodec, {
          modid,
          cmdid,
          retcode: randInt(random, 0, 1),
          ...(random() < 0.9 ? { host: host() } : {}),
        }],
      ];
      for (const [name, codec, message] of cases) {
        const encoded = codec.encode(message as never);
        assert.deepEqual(codec.decode(encoded), message, name);
        const reflect = ReflectCodecs[name as keyof typeof ReflectCodecs];
        assert.deepEqual(bytes(reflect.encode(message as never)), bytes(encoded), `${name} bytes`);
        assert.deepEqual(reflect.decode(encoded), message, `${name} reflect decode`);
      }
    }
  });
});

Deno.test("ip - converts between text, unsigned and wire forms", () => {
  assert.equal(ipToInt("127.0.0.1"), 2130706433);
  assert.equal(ipToInt("255.255.255.255"), 0xFFFFFFFF);
  assert.equal(intToIp(-1), "255.255.255.255");
  assert.equal(intToIp(ipToInt("192.168.10.20")), "192.168.10.20");
  for (const bad of ["1.2.3", "1.2.3.256", "a.b.c.d", "1.2.3.4.5", "", "1..2.3", " 1.2.3.4"]) {
    assert.throws(() => ipToInt(bad), TypeError, bad);
  }
});
