/**
 * Errors of the Lars client that callers may want to catch.
 *
 * @module
 */

/** The agent did not answer a {@linkcode LarsClient.getRoute} call in time. */
export class LarsTimeoutError extends Error {
  /** Module id of the call. */
  readonly modid: number;
  /** Command id of the call. */
  readonly cmdid: number;
  /** How long the call waited, in milliseconds. */
  readonly timeoutMs: number;

  /** Creates the error for a call on `(modid, cmdid)` that waited `timeoutMs`. */
  constructor(modid: number, cmdid: number, timeoutMs: number, options?: ErrorOptions) {
    super(`Agent did not answer for module ${modid}:${cmdid} within ${timeoutMs} ms`, options);
    this.name = "LarsTimeoutError";
    this.modid = modid;
    this.cmdid = cmdid;
    this.timeoutMs = timeoutMs;
  }
}

/** The client was closed before or while a call waited for the agent. */
export class LarsClosedError extends Error {
  /** Creates the error with a sentence-case message. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "LarsClosedError";
  }
}
