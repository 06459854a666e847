/**
 * How many hosts fit in one GetRouteResponse frame: the rule lives in
 * `proto/frame_budget.ts` (the stores check route writes against it too, and
 * they may only read `proto/`); re-exported here for the DNS service.
 *
 * @module
 */
export * from "../proto/frame_budget.ts";
