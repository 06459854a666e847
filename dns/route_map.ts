/**
 * The DNS service's in-memory route table: `(modid, cmdid) -> hosts`, built
 * whole from `RouteData` and swapped atomically. Encoded response frames are
 * cached per module, so a push to 1,000 subscribers encodes once.
 *
 * @module
 */
import { encodeFrame } from "../proto/frame.ts";
import { MessageId } from "../proto/ids.ts";
import { GetRouteResponseCodec, type HostInfo } from "../proto/messages.ts";
import type { RouteRow } from "../store/types.ts";

/** Map key of a module. */
export function moduleKey(modid: number, cmdid: number): string {
  return `${modid},${cmdid}`;
}

const NO_HOSTS: readonly HostInfo[] = Object.freeze([]);

/** An immutable snapshot of every module's hosts. */
export class RouteMap {
  #hosts: Map<string, HostInfo[]>;
  #frames = new Map<string, Uint8Array>();
  /** Number of hosts over all modules. */
  readonly hostCount: number;

  /**
   * Builds the map from `RouteData` rows; hosts `fleetOverloaded` answers
   * true for carry `fleetOverload`.
   */
  constructor(
    rows: readonly RouteRow[],
    fleetOverloaded?: (modid: number, cmdid: number, ip: number, port: number) => boolean,
  ) {
    const hosts = new Map<string, HostInfo[]>();
    for (const row of rows) {
      const key = moduleKey(row.modid, row.cmdid);
      let list = hosts.get(key);
      if (!list) hosts.set(key, list = []);
      const host: HostInfo = { ip: row.ip, port: row.port };
      if (row.weight !== undefined) host.weight = row.weight;
      if (fleetOverloaded?.(row.modid, row.cmdid, row.ip, row.port)) host.fleetOverload = true;
      list.push(host);
    }
    this.#hosts = hosts;
    this.hostCount = rows.length;
  }

  /** Number of modules. */
  get moduleCount(): number {
    return this.#hosts.size;
  }

  /** Hosts of a module; empty when unknown. */
  hosts(modid: number, cmdid: number): readonly HostInfo[] {
    return this.#hosts.get(moduleKey(modid, cmdid)) ?? NO_HOSTS;
  }

  /** The GetRouteResponse frame for a module (encoded once, then cached). */
  responseFrame(modid: number, cmdid: number): Uint8Array {
    const key = moduleKey(modid, cmdid);
    let frame = this.#frames.get(key);
    if (!frame) {
      const hosts = this.#hosts.get(key);
      frame = encodeFrame(
        MessageId.GetRouteResponse,
        GetRouteResponseCodec.encode({ modid, cmdid, host: hosts ?? [] }),
      );
      // Only known modules are cached: peers asking for made-up ones must not grow it.
      if (hosts) this.#frames.set(key, frame);
    }
    return frame;
  }
}
