/**
 * `deno task web hash-password` (and `lars web hash-password`): reads a
 * password on stdin and prints the `[web] password_hash` line for it.
 *
 * @module
 */
import process from "node:process";
import { text } from "node:stream/consumers";
import { hashPassword } from "./auth.ts";

/** Reads the password from stdin, prints its hash line; resolves to the exit code. */
export async function printPasswordHash(): Promise<number> {
  const password = (await text(process.stdin)).replace(/\r?\n$/, "");
  if (password.length < 8) {
    console.error("hash-password: the password needs at least 8 characters");
    return 2;
  }
  console.log(`password_hash = ${await hashPassword(password)}`);
  return 0;
}
