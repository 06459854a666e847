/**
 * The store operations the web admin uses, named as the store's contract
 * names them. {@linkcode adminRoutes} gives them over a `RouteStore`; where
 * the store lacks an operation it is built from the ones it has.
 *
 * @module
 */
import type { RouteFilter, RouteRow, RouteStore } from "../store/types.ts";

/** One module (modid, cmdid) with its host count. */
export interface ModuleSummary {
  /** Module id. */
  modid: number;
  /** Command id. */
  cmdid: number;
  /** How many hosts it has. */
  hosts: number;
}

/** A change-log row with its id. */
export interface ChangeRow {
  /** `RouteChange.id` (0 when the store does not give it). */
  id: number;
  /** Module id. */
  modid: number;
  /** Command id. */
  cmdid: number;
  /** Route version written with the change. */
  version: number;
}

/** One audit entry: who changed what, when. */
export interface AuditRow {
  /** Entry id. */
  id: number;
  /** Unix seconds. */
  ts: number;
  /** Who: web user name, or `cli:<os user>`. */
  user: string;
  /** What kind of change. */
  action: string;
  /** Module id. */
  modid: number;
  /** Command id. */
  cmdid: number;
  /** Free text: the host, the new name, counts. */
  detail: string;
}

/** Raised for an operation the connected store cannot do. */
export class UnsupportedError extends Error {
  /** Names the operation. */
  constructor(operation: string) {
    super(`${operation} is not supported by this store`);
    this.name = "UnsupportedError";
  }
}

/** Route operations of the web admin. */
export interface AdminRoutes {
  /** Current route version. */
  version(): Promise<number>;
  /** Routes, filtered and paged, ordered by modid, cmdid, ip, port. */
  listRoutes(filter?: RouteFilter & { limit?: number; offset?: number }): Promise<RouteRow[]>;
  /** Modules with host counts, searched and paged. */
  listModules(q: { search?: string; limit: number; offset: number }): Promise<{
    total: number;
    modules: ModuleSummary[];
  }>;
  /** Adds a host (RouteData, RouteChange, RouteVersion in one transaction). */
  addHost(
    modid: number,
    cmdid: number,
    ip: number,
    port: number,
    actor?: string,
  ): Promise<{ added: boolean; version: number }>;
  /** Removes a host, like addHost. */
  removeHost(
    modid: number,
    cmdid: number,
    ip: number,
    port: number,
    actor?: string,
  ): Promise<{ removed: boolean; version: number }>;
  /** Moves a host to newIp:newPort. */
  updateHost(
    modid: number,
    cmdid: number,
    ip: number,
    port: number,
    newIp: number,
    newPort: number,
    actor?: string,
  ): Promise<{ updated: boolean; version: number }>;
  /** Bulk import; `replace` makes each module named in rows hold exactly those rows. */
  importRoutes(
    rows: readonly RouteRow[],
    opts: { replace: boolean; actor?: string },
  ): Promise<{ added: number; removed: number; version: number }>;
  /** Sets a module name. */
  setModName(modid: number, name: string, actor?: string): Promise<void>;
  /** Sets a command name. */
  setCmdName(cmdid: number, name: string, actor?: string): Promise<void>;
  /** Removes a module name; false when there was none. */
  removeModName(modid: number, actor?: string): Promise<boolean>;
  /** Removes a command name; false when there was none. */
  removeCmdName(cmdid: number, actor?: string): Promise<boolean>;
  /** All names. */
  listNames(): ReturnType<RouteStore["listNames"]>;
  /** Change log, newest first. */
  listChanges(q: { limit: number; offset: number }): Promise<{
    total: number;
    changes: ChangeRow[];
  }>;
  /** Audit log, newest first. */
  listAudit(q: { limit: number; offset: number }): Promise<{
    total: number;
    entries: AuditRow[];
  }>;
}

type Maybe = Partial<AdminRoutes>;

/**
 * The admin operations over `store`: the store's own where it has them, else
 * built from `listRoutes`, `addHost`, `removeHost` and `changesUpTo` (not in
 * one transaction, and without an audit log).
 */
export function adminRoutes(store: RouteStore): AdminRoutes {
  const own = store as RouteStore & Maybe;
  const bind = <K extends keyof AdminRoutes>(key: K): AdminRoutes[K] | undefined => {
    const fn = own[key];
    return typeof fn === "function" ? (fn.bind(store) as AdminRoutes[K]) : undefined;
  };
  const listAll = (filter: RouteFilter = {}) => store.listRoutes(filter);
  return {
    version: () => store.version(),
    listRoutes: bind("listRoutes") && own.listModules ? bind("listRoutes")! : async (f = {}) => {
      const rows = await listAll({ modid: f.modid, cmdid: f.cmdid });
      const offset = f.offset ?? 0;
      return rows.slice(offset, f.limit === undefined ? undefined : offset + f.limit);
    },
    listModules: bind("listModules") ?? (async (q) => {
      const [rows, names] = await Promise.all([listAll(), store.listNames()]);
      const modName = new Map(names.modules.map((m) => [m.modid, m.name]));
      const cmdName = new Map(names.commands.map((c) => [c.cmdid, c.name]));
      const counts = new Map<string, ModuleSummary>();
      for (const r of rows) {
        const key = `${r.modid}/${r.cmdid}`;
        const m = counts.get(key) ?? { modid: r.modid, cmdid: r.cmdid, hosts: 0 };
        m.hosts++;
        counts.set(key, m);
      }
      const s = (q.search ?? "").toLowerCase();
      const all = [...counts.values()].filter((m) =>
        s === "" || String(m.modid) === s || String(m.cmdid) === s ||
        (modName.get(m.modid) ?? "").toLowerCase().includes(s) ||
        (cmdName.get(m.cmdid) ?? "").toLowerCase().includes(s)
      );
      return { total: all.length, modules: all.slice(q.offset, q.offset + q.limit) };
    }),
    addHost: (m, c, ip, port, actor) => own.addHost.call(store, m, c, ip, port, actor as never),
    removeHost: (m, c, ip, port, actor) =>
      own.removeHost.call(store, m, c, ip, port, actor as never),
    updateHost: bind("updateHost") ?? (async (m, c, ip, port, newIp, newPort) => {
      const rows = await listAll({ modid: m, cmdid: c });
      const has = (a: number, p: number) => rows.some((r) => r.ip === a && r.port === p);
      if (!has(ip, port) || has(newIp, newPort)) {
        return { updated: false, version: await store.version() };
      }
      await store.addHost(m, c, newIp, newPort);
      const { version } = await store.removeHost(m, c, ip, port);
      return { updated: true, version };
    }),
    importRoutes: bind("importRoutes") ?? (async (rows, opts) => {
      let added = 0;
      let removed = 0;
      if (opts.replace) {
        const keep = new Set(rows.map((r) => `${r.modid}/${r.cmdid}/${r.ip}/${r.port}`));
        const modules = new Set(rows.map((r) => `${r.modid}/${r.cmdid}`));
        for (const r of await listAll()) {
          const inModule = modules.has(`${r.modid}/${r.cmdid}`);
          if (inModule && !keep.has(`${r.modid}/${r.cmdid}/${r.ip}/${r.port}`)) {
            if ((await store.removeHost(r.modid, r.cmdid, r.ip, r.port)).removed) removed++;
          }
        }
      }
      for (const r of rows) {
        if ((await store.addHost(r.modid, r.cmdid, r.ip, r.port)).added) added++;
      }
      return { added, removed, version: await store.version() };
    }),
    setModName: (modid, name, actor) => own.setModName.call(store, modid, name, actor as never),
    setCmdName: (cmdid, name, actor) => own.setCmdName.call(store, cmdid, name, actor as never),
    removeModName: bind("removeModName") ?? (() => {
      throw new UnsupportedError("removing a module name");
    }),
    removeCmdName: bind("removeCmdName") ?? (() => {
      throw new UnsupportedError("removing a command name");
    }),
    listNames: () => store.listNames(),
    listChanges: bind("listChanges") ?? (async (q) => {
      const all = (await store.changesUpTo(Number.MAX_SAFE_INTEGER)).reverse();
      return {
        total: all.length,
        changes: all.slice(q.offset, q.offset + q.limit).map((c) => ({ id: 0, ...c })),
      };
    }),
    listAudit: bind("listAudit") ?? (() => {
      throw new UnsupportedError("the audit log");
    }),
  };
}
