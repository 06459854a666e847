/**
 * Property test of the route table and its balancers: a seeded PRNG drives
 * random get_host / get_route / report / DNS update / reconnect / clock steps
 * over random host sets and checks, after every step, the table against a
 * plain reference model (arrays for the round-robin lists) and the invariants.
 * Reproduce a failure with `LARS_SEED=<seed> deno test --allow-all tests/agent/`.
 */
import assert from "node:assert/strict";
import {
  type LoadBalance,
  type LoadBalanceOptions,
  ORIGINAL_RULES,
} from "../../agent/load_balance.ts";
import { RouteTable } from "../../agent/route_table.ts";
import { type HostInfo, RetCode } from "../../proto/mod.ts";
import { errorText } from "../../reactor/text.ts";
import { mulberry32, randInt, type Random, testSeeds } from "../support/random.ts";

function pickOne<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

/** Host pool: low and high (negative on the wire) addresses, shared ports. */
const HOST_POOL: readonly HostInfo[] = [
  { ip: 0x0A000001, port: 80 },
  { ip: 0x0A000001, port: 81 },
  { ip: 0x0A000002, port: 80 },
  { ip: 0x7F000001, port: 9000 },
  { ip: 0x80000000, port: 9000 },
  { ip: 0xC0A80001, port: 65535 },
  { ip: 0xFFFFFFFF, port: 1 },
  { ip: 0xAC100001, port: 8080 },
];
const MODULE_POOL: ReadonlyArray<readonly [number, number]> = [
  [1, 1],
  [-5, 7],
  [3_000_000, -2],
  [0, 0x7FFFFFFF],
];
const STRANGER: HostInfo = { ip: 0x01020304, port: 4321 };

const keyOf = (host: HostInfo) => `${host.ip}:${host.port}`;

/** Reference model of one module: statuses and the two lists as plain arrays. */
interface ModuleModel {
  status: "new" | "pulling";
  lastUpdate: number;
  route: Map<string, HostInfo>;
  idle: HostInfo[];
  overloaded: HostInfo[];
  accessCount: number;
  dirty: boolean;
}

function randomOptions(random: Random): Partial<LoadBalanceOptions> {
  return {
    probeNum: randInt(random, 0, 4),
    initSuccCnt: randInt(random, 0, 20),
    initErrCnt: randInt(random, 0, 6),
    errRate: random() * 0.5,
    succRate: 0.2 + random() * 0.7,
    continErrLimit: randInt(random, 1, 6),
    continSuccLimit: randInt(random, 1, 6),
    windowErrRate: random(),
    idleTimeout: randInt(random, 0, 10),
    overloadTimeout: randInt(random, 0, 10),
    updateTimeout: randInt(random, 1, 20),
    ...ORIGINAL_RULES,
  };
}

/** The reference rule of `choose`, on arrays: answers the host, or a return code. */
function modelChoose(model: ModuleModel, probeNum: number): HostInfo | number {
  const take = (list: HostInfo[]) => {
    const host = list.shift() as HostInfo;
    list.push(host);
    return host;
  };
  if (model.idle.length === 0) {
    if (model.accessCount < probeNum) {
      model.accessCount++;
      return RetCode.OVERLOAD;
    }
    model.accessCount = 0;
    return take(model.overloaded);
  }
  if (model.overloaded.length === 0) return take(model.idle);
  if (model.accessCount >= probeNum) {
    model.accessCount = 0;
    return take(model.overloaded);
  }
  model.accessCount++;
  return take(model.idle);
}

class Simulation {
  readonly table: RouteTable;
  readonly models = new Map<string, ModuleModel>();
  readonly errorChance = new Map<string, number>();
  now = 1_700_000_000;

  constructor(readonly random: Random) {
    this.table = new RouteTable(randomOptions(random));
    for (const host of HOST_POOL) this.errorChance.set(keyOf(host), random());
  }

  step(): void {
    const [modid, cmdid] = pickOne(this.random, MODULE_POOL);
    const roll = this.random();
    if (roll < 0.35) this.getHost(modid, cmdid);
    else if (roll < 0.4) this.getRoute(modid, cmdid);
    else if (roll < 0.75) this.report(modid, cmdid);
    else if (roll < 0.83) this.dnsAnswer(modid, cmdid);
    else if (roll < 0.87) this.takeSnapshots();
    else this.now += this.random() < 0.8 ? this.random() * 3 : this.random() * 25;
    this.checkInvariants();
  }

  getHost(modid: number, cmdid: number): void {
    const model = this.#modelOrCreate(modid, cmdid);
    const result = this.table.getHost(modid, cmdid, this.now);
    assert.equal(result.pull, this.#expectPull(model), "get_host pull flag");
    const expected = model.route.size === 0
      ? RetCode.NOEXIST
      : modelChoose(model, this.table.options.probeNum);
    if (result.code === RetCode.SUCC) {
      assert.ok(model.route.has(keyOf(result.host)), "chosen host is in the current route");
      assert.deepEqual(result.host, expected);
    } else {
      assert.equal(result.code, expected);
    }
  }

  getRoute(modid: number, cmdid: number): void {
    const model = this.#modelOrCreate(modid, cmdid);
    const result = this.table.getRoute(modid, cmdid, this.now);
    assert.equal(result.pull, this.#expectPull(model), "get_route pull flag");
    assert.deepEqual(result.hosts, [...model.route.values()]);
  }

  report(modid: number, cmdid: number): void {
    const model = this.models.get(`${modid}/${cmdid}`);
    const route = model ? [...model.route.values()] : [];
    const host = route.length > 0 && this.random() < 0.95 ? pickOne(this.random, route) : STRANGER;
    const chance = this.errorChance.get(keyOf(host)) ?? 0.5;
    const retcode = this.random() < chance ? pickOne(this.random, [1, 2, 3]) : RetCode.SUCC;
    const lb = this.table.get(modid, cmdid);
    const wasOverloaded = lb?.hostStats(host.ip, host.port)?.overload;
    const known = this.table.report(modid, cmdid, host.ip, host.port, retcode, this.now);
    assert.equal(known, model !== undefined && model.route.has(keyOf(host)));
    if (!known || model === undefined || lb === undefined) return;
    model.dirty = true;
    const after = lb.hostStats(host.ip, host.port);
    assert.ok(after);
    if (after.overload === wasOverloaded) return;
    const [from, to] = after.overload
      ? [model.idle, model.overloaded]
      : [model.overloaded, model.idle];
    const index = from.findIndex((h) => keyOf(h) === keyOf(host));
    assert.notEqual(index, -1, "a host changing state was in the other list");
    from.splice(index, 1);
    to.push(host);
    const { initSuccCnt, initErrCnt } = this.table.options;
    const [vsucc, verr, stamp] = after.overload
      ? [0, initErrCnt, after.overloadTs]
      : [initSuccCnt, 0, after.idleTs];
    const actual = [after.vsucc, after.verr, after.rsucc, after.rerr, stamp];
    assert.deepEqual(actual, [vsucc, verr, 0, 0, this.now], "fresh counters after a state change");
  }

  dnsAnswer(modid: number, cmdid: number): void {
    const hosts = HOST_POOL.filter(() => this.random() < 0.45);
    const key = `${modid}/${cmdid}`;
    const model = this.models.get(key);
    const outcome = this.table.applyUpdate(modid, cmdid, hosts, this.now);
    if (model === undefined) {
      assert.equal(outcome, "ignored");
      return;
    }
    if (hosts.length === 0) {
      assert.equal(outcome, "deleted");
      this.models.delete(key);
      return;
    }
    assert.equal(outcome, "updated");
    const wanted = new Set(hosts.map(keyOf));
    model.idle = model.idle.filter((h) => wanted.has(keyOf(h)));
    model.overloaded = model.overloaded.filter((h) => wanted.has(keyOf(h)));
    for (const host of hosts) if (!model.route.has(keyOf(host))) model.idle.push(host);
    model.route = new Map([...model.route].filter(([k]) => wanted.has(k)));
    for (const host of hosts) if (!model.route.has(keyOf(host))) model.route.set(keyOf(host), host);
    model.status = "new";
    model.lastUpdate = this.now;
  }

  takeSnapshots(): void {
    const caller = 0xC0A80064;
    const snapshots = this.table.takeDirtySnapshots(caller, this.now);
    const dirty = [...this.models].filter(([, m]) => m.dirty);
    assert.deepEqual(snapshots.map((s) => `${s.modid}/${s.cmdid}`), dirty.map(([k]) => k));
    for (const snapshot of snapshots) {
      const model = dirty.find(([k]) => k === `${snapshot.modid}/${snapshot.cmdid}`)?.[1];
      assert.ok(model);
      assert.deepEqual(
        snapshot.results.map((r) => [keyOf(r), r.overload]),
        [
          ...model.idle.map((h) => [keyOf(h), false]),
          ...model.overloaded.map((h) => [keyOf(h), true]),
        ],
      );
      model.dirty = false;
    }
  }

  checkInvariants(): void {
    const known = this.table.modules().map(({ modid, cmdid }) => `${modid}/${cmdid}`);
    assert.deepEqual(known, [...this.models.keys()]);
    for (const { modid, cmdid } of this.table.modules()) {
      const lb = this.table.get(modid, cmdid) as LoadBalance;
      const model = this.models.get(`${modid}/${cmdid}`) as ModuleModel;
      assert.equal(lb.status, model.status);
      assert.equal(lb.accessCount, model.accessCount);
      assert.equal(lb.dirty, model.dirty);
      assert.deepEqual(lb.idleHosts(), model.idle, "idle list order");
      assert.deepEqual(lb.overloadedHosts(), model.overloaded, "overload list order");
      this.#checkHosts(lb, model);
    }
  }

  #checkHosts(lb: LoadBalance, model: ModuleModel): void {
    const idle = new Set(lb.idleHosts().map(keyOf));
    const overloaded = new Set(lb.overloadedHosts().map(keyOf));
    assert.equal(idle.size + overloaded.size, model.route.size, "each host in one list");
    for (const host of lb.hosts()) {
      const stats = lb.hostStats(host.ip, host.port);
      assert.ok(stats && model.route.has(keyOf(host)));
      const inOverload = overloaded.has(keyOf(host));
      assert.notEqual(inOverload, idle.has(keyOf(host)), "exactly one list");
      assert.equal(stats.overload, inOverload, "overload flag matches the list");
      const counters = [stats.vsucc, stats.verr, stats.rsucc, stats.rerr];
      for (const n of [...counters, stats.continSucc, stats.continErr]) {
        assert.ok(Number.isInteger(n) && n >= 0, `counter ${n} is a non-negative integer`);
      }
      assert.ok(stats.continSucc === 0 || stats.continErr === 0, "one streak at a time");
      assert.ok(stats.idleTs <= this.now && stats.overloadTs <= this.now, "no future stamps");
    }
  }

  #modelOrCreate(modid: number, cmdid: number): ModuleModel {
    const key = `${modid}/${cmdid}`;
    const known = this.models.get(key);
    if (known) return known;
    const created: ModuleModel = {
      status: "new",
      lastUpdate: 0,
      route: new Map(),
      idle: [],
      overloaded: [],
      accessCount: 0,
      dirty: false,
    };
    this.models.set(key, created);
    return created;
  }

  /** Whether get_host/get_route must pull now, updating the model's status. */
  #expectPull(model: ModuleModel): boolean {
    const stale = this.now - model.lastUpdate > this.table.options.updateTimeout;
    const due = model.status === "new" && (model.route.size === 0 || stale);
    if (due) model.status = "pulling";
    return due;
  }
}

function runSeed(seed: number, steps: number): void {
  const simulation = new Simulation(mulberry32(seed));
  for (let step = 0; step < steps; step++) {
    try {
      simulation.step();
    } catch (error) {
      const message = errorText(error);
      throw new Error(`Property failed with LARS_SEED=${seed} at step ${step}: ${message}`, {
        cause: error,
      });
    }
  }
}

Deno.test("load_balance - property: random operations keep the model and invariants", () => {
  for (const seed of testSeeds(12)) runSeed(seed, 3000);
});

Deno.test("load_balance - property: fixed seeds stay reproducible", () => {
  for (const seed of [1, 42, 0xDEADBEEF]) runSeed(seed, 3000);
});
