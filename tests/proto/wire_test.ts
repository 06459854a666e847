import assert from "node:assert/strict";
import protobuf from "npm:protobufjs@8.8.1/minimal.js";
import { WireReader, WireWriter } from "../../proto/wire.ts";

const INTS = [0, 1, 127, 128, 300, 16383, 16384, 2 ** 31 - 1, -1, -2, -128, -300, -(2 ** 31)];
const UINTS = [0, 1, 127, 128, 2 ** 28, 2 ** 31, 2 ** 32 - 1];
/** protobufjs answers a Buffer on Deno: compare the bytes only. */
const bytes = (b: Uint8Array) => Array.from(b);

Deno.test("wire - writes the bytes protobufjs writes", () => {
  for (const v of INTS) {
    const ours = WireWriter.create().int32(v).finish();
    assert.deepEqual(bytes(ours), bytes(protobuf.Writer.create().int32(v).finish()), `int32 ${v}`);
  }
  for (const v of UINTS) {
    const ours = WireWriter.create().uint32(v).finish();
    assert.deepEqual(bytes(ours), bytes(protobuf.Writer.create().uint32(v).finish()), `${v}`);
  }
  const nested = (w: WireWriter | protobuf.Writer) => {
    w.uint32(8).int32(-5).uint32(26).fork().uint32(8).int32(7);
    for (let i = 0; i < 40; i++) w.uint32(16).uint32(i * 1000);
    w.ldelim().uint32(32).bool(true);
    return w.finish();
  };
  assert.deepEqual(bytes(nested(WireWriter.create())), bytes(nested(protobuf.Writer.create())));
});

Deno.test("wire - reads what protobufjs writes, including 10-byte negatives", () => {
  for (const v of INTS) {
    const r = WireReader.create(protobuf.Writer.create().int32(v).uint32(99).finish());
    assert.equal(r.int32(), v);
    assert.equal(r.uint32(), 99);
    assert.equal(r.pos, r.len);
  }
  for (const v of UINTS) {
    assert.equal(WireReader.create(protobuf.Writer.create().uint32(v).finish()).uint32(), v);
  }
  const r = WireReader.create(protobuf.Writer.create().bool(true).bool(false).finish());
  assert.equal(r.bool(), true);
  assert.equal(r.bool(), false);
});

Deno.test("wire - skips every wire type and rejects reads past the end", () => {
  const w = protobuf.Writer.create();
  w.uint32(8).int32(-1); // varint
  w.uint32(17).fixed64(5); // 64-bit
  w.uint32(26).bytes(new Uint8Array([1, 2, 3])); // length-delimited
  w.uint32(35).uint32(8).uint32(1).uint32(36); // group 4 holding field 1 = 1
  w.uint32(45).fixed32(9); // 32-bit
  w.uint32(48).uint32(42);
  const r = WireReader.create(w.finish());
  for (let i = 0; i < 5; i++) {
    const t = r.uint32();
    r.skipType(t & 7);
  }
  assert.equal(r.uint32(), 48);
  assert.equal(r.uint32(), 42);
  assert.throws(() => r.uint32(), RangeError);
  assert.throws(() => WireReader.create(new Uint8Array([0x80])).uint32(), RangeError);
  assert.throws(() => WireReader.create(new Uint8Array([26, 5, 1])).skipType(2), RangeError);
  assert.throws(() => WireReader.create(new Uint8Array([0])).skipType(7), /invalid wire type 7/);
});

Deno.test("wire - ldelim without fork, and finish with an open fork, are errors", () => {
  assert.throws(() => WireWriter.create().ldelim(), /none is open/);
  assert.throws(() => WireWriter.create().fork().finish(), /still open/);
});
