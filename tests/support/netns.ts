/**
 * Network namespaces for multi-host tests: each namespace is a "host" with
 * its own loopback and ports, joined to a hub namespace by a veth pair on a
 * /24 of the benchmark test range 198.18.0.0/15 (RFC 2544), which exists only
 * inside the namespaces. Needs root and `ip netns`; {@linkcode netnsUnavailable}
 * says why not when they are missing.
 *
 * @module
 */

async function ip(args: string[]): Promise<{ ok: boolean; text: string }> {
  try {
    const r = await new Deno.Command("ip", { args, stdin: "null" }).output();
    const dec = new TextDecoder();
    return { ok: r.success, text: dec.decode(r.stdout) + dec.decode(r.stderr) };
  } catch (err) {
    return { ok: false, text: (err as Error).message };
  }
}

async function must(args: string[]): Promise<void> {
  const r = await ip(args);
  if (!r.ok) throw new Error(`ip ${args.join(" ")} failed: ${r.text.trim()}`);
}

/** Why namespaces cannot be made here (not root, no `ip`), or null when they can. */
export async function netnsUnavailable(): Promise<string | null> {
  if (Deno.build.os !== "linux") return `network namespaces need Linux, not ${Deno.build.os}`;
  const probe = `lars-probe-${Deno.pid}`;
  const added = await ip(["netns", "add", probe]);
  if (!added.ok) return `cannot create a network namespace (root needed): ${added.text.trim()}`;
  await ip(["netns", "del", probe]);
  return null;
}

/** A host of the lab: a namespace and its address on the link to the hub. */
export interface LabHost {
  /** Namespace name. */
  ns: string;
  /** This host's address (198.18.N.2), or the hub's own (198.18.N.1 per link). */
  address: string;
  /** The hub's address on the link to this host. */
  hubAddress: string;
  /** The hub's end of the link (an interface in the hub namespace). */
  hubLink: string;
}

/** A hub namespace and hosts linked to it, deleted by {@linkcode NetnsLab.close}. */
export class NetnsLab {
  /** The hub's namespace. */
  readonly hub: string;
  readonly #tag: string;
  readonly #namespaces: string[] = [];
  #links = 0;

  private constructor(tag: string) {
    this.#tag = tag;
    this.hub = `lars-${tag}-hub`;
  }

  /** Creates the hub namespace (with loopback up). */
  static async create(): Promise<NetnsLab> {
    const tag = crypto.randomUUID().slice(0, 6);
    const lab = new NetnsLab(tag);
    await lab.#namespace(lab.hub);
    return lab;
  }

  async #namespace(ns: string): Promise<void> {
    await must(["netns", "add", ns]);
    this.#namespaces.push(ns);
    await must(["-n", ns, "link", "set", "lo", "up"]);
  }

  /** Adds host `name`: a namespace linked to the hub on 198.18.N.0/24. */
  async addHost(name: string): Promise<LabHost> {
    const n = ++this.#links;
    const ns = `lars-${this.#tag}-${name}`;
    await this.#namespace(ns);
    const hubLink = `l${this.#tag}h${n}`;
    const hostLink = `l${this.#tag}e${n}`;
    await must([
      "link",
      "add",
      hubLink,
      "netns",
      this.hub,
      "type",
      "veth",
      "peer",
      "name",
      hostLink,
      "netns",
      ns,
    ]);
    const hubAddress = `198.18.${n}.1`;
    const address = `198.18.${n}.2`;
    await must(["-n", this.hub, "addr", "add", `${hubAddress}/24`, "dev", hubLink]);
    await must(["-n", ns, "addr", "add", `${address}/24`, "dev", hostLink]);
    await must(["-n", this.hub, "link", "set", hubLink, "up"]);
    await must(["-n", ns, "link", "set", hostLink, "up"]);
    return { ns, address, hubAddress, hubLink };
  }

  /** Cuts (`down`) or restores (`up`) a host's link, from the hub's side. */
  async link(host: LabHost, state: "up" | "down"): Promise<void> {
    await must(["-n", this.hub, "link", "set", host.hubLink, state]);
  }

  /** `argv` run inside namespace `ns`, as argv for a command. */
  static exec(ns: string, argv: string[]): string[] {
    return ["ip", "netns", "exec", ns, ...argv];
  }

  /** Deletes every namespace (and with them the links); never throws. */
  async close(): Promise<void> {
    for (const ns of this.#namespaces.toReversed()) await ip(["netns", "del", ns]);
  }
}
