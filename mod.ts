/**
 * Lars client module: the wire protocol types and codecs. The client API
 * (`LarsClient`: getHost, report, getRoute, regInit) is added here next.
 *
 * @module
 */
export * from "./proto/mod.ts";
