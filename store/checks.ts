/**
 * Argument checks of the store operations (every value is checked before
 * anything is sent to a database) and the route version rule.
 *
 * @module
 */

import { isPort, isUint32 } from "../proto/ip.ts";
import { MAX_HOST_WEIGHT } from "../proto/messages.ts";
import type { HistoryFilter, HistoryRow, Page, RouteFilter, StatusRow } from "./types.ts";

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7FFFFFFF;

function _checkInt(what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`Invalid ${what}: ${value} is not an integer in ${min} ..= ${max}`);
  }
}

/**
 * Checks a route key: module and command ids are `0 ..= 2^31-1` (positive
 * `int32` on the wire, `int unsigned` in the original schema).
 * @throws {RangeError} when an id is out of range
 */
export function checkRouteKey(modid: number, cmdid: number): void {
  _checkInt("modid", modid, 0, INT32_MAX);
  _checkInt("cmdid", cmdid, 0, INT32_MAX);
}

/**
 * Checks the ids of a `listRoutes` filter.
 * @throws {RangeError} when an id is out of range
 */
export function checkRouteFilter(filter: RouteFilter): void {
  if (filter.modid !== undefined) _checkInt("modid", filter.modid, 0, INT32_MAX);
  if (filter.cmdid !== undefined) _checkInt("cmdid", filter.cmdid, 0, INT32_MAX);
}

/**
 * Checks the ids of a `listStatus`/`listHistory` filter (signed 32-bit ids) and `since`.
 * @throws {RangeError} when a value is out of range
 */
export function checkCallFilter(filter: HistoryFilter): void {
  if (filter.modid !== undefined) _checkInt("modid", filter.modid, INT32_MIN, INT32_MAX);
  if (filter.cmdid !== undefined) _checkInt("cmdid", filter.cmdid, INT32_MIN, INT32_MAX);
  if (filter.since !== undefined) _checkInt("since", filter.since, 0, Number.MAX_SAFE_INTEGER);
}

/** Most items one page of a listing may ask for. */
export const MAX_PAGE = 100_000;

/**
 * Checks a page (`limit` and `offset` may be absent when `optional`).
 * @throws {RangeError} when a value is out of range
 */
export function checkPage(page: Partial<Page>, optional = false): void {
  if (!optional || page.limit !== undefined) {
    _checkInt("limit", page.limit as number, 1, MAX_PAGE);
  }
  if (!optional || page.offset !== undefined) {
    _checkInt("offset", page.offset as number, 0, INT32_MAX);
  }
}

/**
 * Checks who makes a change (at most 255 characters).
 * @throws {TypeError} when it is not a string
 * @throws {RangeError} when it is too long
 */
export function checkActor(actor: string | undefined): void {
  if (actor !== undefined) _checkText("actor", actor, 255);
}

/**
 * Checks a search text (at most 255 characters).
 * @throws {TypeError} when it is not a string
 * @throws {RangeError} when it is too long
 */
export function checkSearch(search: string | undefined): void {
  if (search !== undefined) _checkText("search", search, 255);
}

function _checkText(what: string, text: string, max: number): void {
  if (typeof text !== "string") throw new TypeError(`Invalid ${what}: expected a string`);
  const length = [...text].length;
  if (length > max) throw new RangeError(`Invalid ${what}: ${length} characters exceed ${max}`);
}

/**
 * Checks a route key and a host.
 * @throws {RangeError} when a value is out of range
 */
export function checkRouteHost(modid: number, cmdid: number, ip: number, port: number): void {
  checkRouteKey(modid, cmdid);
  if (!isUint32(ip)) throw new RangeError(`Invalid ip: ${ip} is not an unsigned 32-bit integer`);
  if (!isPort(port)) throw new RangeError(`Invalid port: ${port} is not in 1 ..= 65535`);
}

/**
 * Checks a host weight: an integer in `1 ..= MAX_HOST_WEIGHT`.
 * @throws {RangeError} when it is not
 */
export function checkWeight(weight: number): void {
  if (!Number.isInteger(weight) || weight < 1 || weight > MAX_HOST_WEIGHT) {
    throw new RangeError(`Invalid weight: ${weight} is not an integer in 1 ..= ${MAX_HOST_WEIGHT}`);
  }
}

function _checkCallKey(row: StatusRow | HistoryRow): void {
  _checkInt("modid", row.modid, INT32_MIN, INT32_MAX);
  _checkInt("cmdid", row.cmdid, INT32_MIN, INT32_MAX);
  if (!isUint32(row.ip)) throw new RangeError(`Invalid ip: ${row.ip} is not unsigned 32-bit`);
  if (!isPort(row.port)) throw new RangeError(`Invalid port: ${row.port} is not in 1 ..= 65535`);
  if (!isUint32(row.caller)) {
    throw new RangeError(`Invalid caller: ${row.caller} is not unsigned 32-bit`);
  }
}

/**
 * Checks a status row before it is written.
 * @throws {RangeError} when a value does not fit its column
 * @throws {TypeError} when `overload` is not a boolean
 */
export function checkStatusRow(row: StatusRow): void {
  _checkCallKey(row);
  _checkInt("succ", row.succ, 0, INT32_MAX);
  _checkInt("err", row.err, 0, INT32_MAX);
  _checkInt("ts", row.ts, 0, Number.MAX_SAFE_INTEGER);
  if (typeof row.overload !== "boolean") {
    throw new TypeError(`Invalid overload: expected a boolean, got ${typeof row.overload}`);
  }
}

/**
 * Checks a history row before it is written.
 * @throws {RangeError} when a value does not fit its column or `minute` is not a multiple of 60
 */
export function checkHistoryRow(row: HistoryRow): void {
  _checkCallKey(row);
  _checkInt("succ", row.succ, 0, Number.MAX_SAFE_INTEGER);
  _checkInt("err", row.err, 0, Number.MAX_SAFE_INTEGER);
  _checkInt("minute", row.minute, 0, Number.MAX_SAFE_INTEGER);
  if (row.minute % 60 !== 0) {
    throw new RangeError(`Invalid minute: ${row.minute} is not a multiple of 60 seconds`);
  }
}

/**
 * Checks a module or command name (`char(255)`).
 * @throws {TypeError} when it is not a string
 * @throws {RangeError} when it is longer than 255 characters
 */
export function checkName(name: string): void {
  _checkText("name", name, 255);
}

/** The next route version: `max(now in seconds, previous + 1)`, so every edit changes it. */
export function nextVersion(previous: number, nowMs: number = Date.now()): number {
  return Math.max(Math.floor(nowMs / 1000), previous + 1);
}
