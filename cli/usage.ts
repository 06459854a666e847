/**
 * The error a command throws for wrong arguments: the CLI prints its message
 * and the command's usage, and exits 2.
 *
 * @module
 */

/** Wrong command-line arguments. */
export class UsageError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
