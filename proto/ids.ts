/**
 * Message ids and return codes of the Lars protocol (`enum MessageId`,
 * `enum LarsRetCode` in `lars.proto`); their meanings are in docs/protocol.md.
 *
 * @module
 */

/** Message ids carried in the frame header, as in the original `lars.proto`. */
export const MessageId = {
  /** Agent -> DNS over TCP: which hosts serve `(modid, cmdid)`. */
  GetRouteRequest: 1,
  /** DNS -> agent over TCP: the hosts of a module, as a reply or a push. */
  GetRouteResponse: 2,
  /** Agent -> reporter over TCP: call statistics of one module. */
  ReportStatusRequest: 3,
  /** API -> agent over UDP: pick one host. */
  GetHostRequest: 4,
  /** Agent -> API over UDP: the picked host. */
  GetHostResponse: 5,
  /** API -> agent over UDP: the outcome of one call; no reply. */
  ReportRequest: 6,
  /** API -> agent over UDP: the whole route; body is a GetRouteRequest. */
  ApiGetRouteRequest: 7,
  /** Agent -> API over UDP: the whole route; body is a GetRouteResponse. */
  ApiGetRouteResponse: 8,
} as const;

/** One of the values of {@linkcode MessageId}. */
export type MessageId = typeof MessageId[keyof typeof MessageId];

/** Return codes (`enum LarsRetCode`). */
export const RetCode = {
  /** A host was chosen. */
  SUCC: 0,
  /** Every host of the module is overloaded. */
  OVERLOAD: 1,
  /** System error; our client also answers it when the agent does not reply in time. */
  SYSTEM_ERROR: 2,
  /** The module is unknown or its route is not loaded yet. */
  NOEXIST: 3,
} as const;

/** One of the values of {@linkcode RetCode}. */
export type RetCode = typeof RetCode[keyof typeof RetCode];

/** Name of a return code for logs and tool output, e.g. `RET_OVERLOAD`. */
export function retCodeName(code: number): string {
  switch (code) {
    case RetCode.SUCC:
      return "RET_SUCC";
    case RetCode.OVERLOAD:
      return "RET_OVERLOAD";
    case RetCode.SYSTEM_ERROR:
      return "RET_SYSTEM_ERROR";
    case RetCode.NOEXIST:
      return "RET_NOEXIST";
    default:
      return `RET_${code}`;
  }
}
