/**
 * Entry of the standalone `lars-client` binary (the API tools only):
 * `deno task compile:bun` bundles this file and compiles it with Bun.
 *
 * @module
 */
import process from "node:process";
import { clientMain } from "./client_main.ts";

process.exit(await clientMain(process.argv.slice(2)));
