/**
 * The version of Lars, from `deno.json`, for `lars --version`.
 *
 * @module
 */
import project from "../deno.json" with { type: "json" };

/** The project version, e.g. `0.1.0`. */
export const VERSION: string = project.version;
