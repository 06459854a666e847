/**
 * `EchoMessage` of the original reactor's QPS test (`echoMessage.proto`:
 * `string content = 1; int32 id = 2;`), with a protobufjs codec.
 *
 * @module
 */
import protobuf from "npm:protobufjs@8.8.1/minimal.js";
import type { Codec } from "../proto/messages.ts";

/** Message id the echo test uses. */
export const ECHO_MSGID = 1;

/** The echo test's message. */
export interface EchoMessage {
  /** Payload text. */
  content: string;
  /** Request number. */
  id: number;
}

/** Codec of {@linkcode EchoMessage}. */
export const EchoMessageCodec: Codec<EchoMessage> = {
  encode(m) {
    const w = protobuf.Writer.create();
    if (m.content) w.uint32(10).string(m.content);
    if (m.id) w.uint32(16).int32(m.id);
    return w.finish();
  },
  decode(bytes) {
    const r = protobuf.Reader.create(bytes);
    const m: EchoMessage = { content: "", id: 0 };
    while (r.pos < r.len) {
      const t = r.uint32();
      if (t === 10) m.content = r.string();
      else if (t === 16) m.id = r.int32();
      else r.skipType(t & 7);
    }
    return m;
  },
};
