/**
 * Prometheus metrics of a service, with `npm:prom-client`: a registry with the
 * library's process metrics (CPU, memory, event-loop lag, heap), and metrics
 * read from the counters a service keeps anyway ({@linkcode Counters}), so
 * nothing is counted twice. Every name starts with `lars_`; counters end in
 * `_total`; units are in the name.
 *
 * @module
 */
import fs from "node:fs";
import process from "node:process";
import client from "npm:prom-client@15.1.3";
import { NET_COUNTER_NAMES, type NetCounterName } from "./net_counters.ts";

/** A prom-client registry. */
export type MetricsRegistry = client.Registry;

/** One value of a metric, with its labels. */
export interface MetricSample {
  /** Label values (names must be among the metric's `labels`). */
  labels?: Record<string, string>;
  /** The value. */
  value: number;
}

/** What a metric reads at scrape time: one unlabelled value, or labelled samples. */
export type MetricValue = number | readonly MetricSample[];

/** Definition of a metric read at scrape time; see {@linkcode defineMetric}. */
export interface MetricDefinition {
  /** `counter` (name ends in `_total`) or `gauge`. */
  type: "counter" | "gauge";
  /** Full name, `lars_...`. */
  name: string;
  /** One-line meaning. */
  help: string;
  /** Label names. */
  labels?: readonly string[];
  /** Reads the current value(s); may be async (the registry awaits it). */
  read(): MetricValue | Promise<MetricValue>;
}

const PREFIX = "lars_";

/** Metrics prom-client reads from `/proc/self`, which Deno grants only with `--allow-all`. */
const PROC_METRICS = [
  "process_resident_memory_bytes",
  "process_virtual_memory_bytes",
  "process_heap_bytes",
  "process_open_fds",
] as const;

function procReadable(): boolean {
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  try {
    if (deno && deno.permissions.querySync({ name: "read" }).state !== "granted") return false;
    fs.readFileSync("/proc/self/status", "utf8");
    return true;
  } catch {
    return false;
  }
}

function checkName(definition: MetricDefinition): void {
  const { name, type } = definition;
  if (!/^lars_[a-z0-9_]+$/.test(name)) {
    throw new TypeError(`Invalid metric name ${name}: expected lars_ and [a-z0-9_]`);
  }
  if ((type === "counter") !== name.endsWith("_total")) {
    throw new TypeError(`Invalid metric name ${name}: only counters end in _total`);
  }
}

/**
 * A registry with prom-client's default process metrics, prefixed `lars_`.
 * Where `/proc/self` cannot be read (Deno without `--allow-all`), the metrics
 * prom-client would read from it are removed, and
 * `lars_process_resident_memory_bytes` comes from `process.memoryUsage()`.
 */
export function createMetricsRegistry(): MetricsRegistry {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: PREFIX });
  if (process.platform === "linux" && !procReadable()) {
    for (const name of PROC_METRICS) registry.removeSingleMetric(PREFIX + name);
    defineMetric(registry, {
      type: "gauge",
      name: `${PREFIX}process_resident_memory_bytes`,
      help: "Resident memory size in bytes.",
      read: () => process.memoryUsage().rss,
    });
  }
  return registry;
}

/**
 * Registers a metric whose value is read at scrape time. Counters read from a
 * {@linkcode Counters} this way never count anything twice.
 *
 * @throws {TypeError} for a name without `lars_`, or `_total` on a gauge (or none on a counter)
 */
export function defineMetric(registry: MetricsRegistry, definition: MetricDefinition): void {
  checkName(definition);
  const labelNames = [...(definition.labels ?? [])];
  const apply = (metric: client.Counter | client.Gauge, value: MetricValue) => {
    metric.reset();
    if (typeof value === "number") {
      if (metric instanceof client.Counter) metric.inc(value);
      else metric.set(value);
      return;
    }
    for (const sample of value) {
      if (metric instanceof client.Counter) metric.inc(sample.labels ?? {}, sample.value);
      else metric.set(sample.labels ?? {}, sample.value);
    }
  };
  const common = {
    name: definition.name,
    help: definition.help,
    labelNames,
    registers: [registry],
  };
  if (definition.type === "counter") {
    new client.Counter({
      ...common,
      async collect() {
        apply(this, await definition.read());
      },
    });
  } else {
    new client.Gauge({
      ...common,
      async collect() {
        apply(this, await definition.read());
      },
    });
  }
}

/** Options of {@linkcode defineHistogram}. */
export interface HistogramDefinition {
  /** Full name, `lars_..._seconds` or another unit. */
  name: string;
  /** One-line meaning. */
  help: string;
  /** Upper bounds of the buckets. */
  buckets: readonly number[];
}

/** A histogram the service observes into directly. */
export interface Histogram {
  /** Records one value. */
  observe(value: number): void;
}

/** Registers a histogram. */
export function defineHistogram(
  registry: MetricsRegistry,
  definition: HistogramDefinition,
): Histogram {
  return new client.Histogram({
    name: definition.name,
    help: definition.help,
    buckets: [...definition.buckets],
    registers: [registry],
  });
}

/** Metric names and meanings of the reactor's network counters. */
const NET_METRICS: Record<NetCounterName, { name: string; help: string }> = {
  connectionsAccepted: { name: "connections_accepted_total", help: "TCP connections accepted." },
  connectionsRejected: {
    name: "connections_rejected_total",
    help: "TCP connections refused because maxConn was reached.",
  },
  connectionsDenied: {
    name: "connections_denied_total",
    help: "TCP connections closed at accept because the peer is outside [reactor] allow.",
  },
  connectionsOverIpLimit: {
    name: "connections_over_ip_limit_total",
    help: "TCP connections refused because their address reached [reactor] max_conn_per_ip.",
  },
  frameTimeouts: {
    name: "frame_timeouts_total",
    help: "TCP connections closed for leaving a frame unfinished past [reactor] frame_timeout_ms.",
  },
  silentEvicted: {
    name: "silent_evicted_total",
    help: "TCP connections that sent no complete frame, closed at maxConn to admit a new peer.",
  },
  connectionsClosed: { name: "connections_closed_total", help: "TCP connections closed." },
  connects: { name: "connects_total", help: "Outgoing TCP connections established." },
  connectFailures: { name: "connect_failures_total", help: "Outgoing TCP connects that failed." },
  framesIn: { name: "frames_received_total", help: "Frames (or datagrams) received." },
  framesOut: { name: "frames_sent_total", help: "Frames (or datagrams) sent." },
  bytesIn: { name: "received_bytes_total", help: "Bytes received." },
  bytesOut: { name: "sent_bytes_total", help: "Bytes sent." },
  badFrames: {
    name: "bad_frames_total",
    help: "Malformed frames or datagrams (the TCP connection is closed, the datagram dropped).",
  },
  unknownMsgid: {
    name: "unknown_messages_total",
    help: "Frames with a message id nobody handles.",
  },
  handlerErrors: { name: "handler_errors_total", help: "Frames whose handler threw." },
  slowClosed: {
    name: "slow_closed_total",
    help: "Connections closed because the peer read too slowly.",
  },
  sendDrops: { name: "send_drops_total", help: "Frames dropped because a send queue was full." },
  sendErrors: { name: "send_errors_total", help: "Sends that failed." },
  idleRefreshes: {
    name: "idle_refreshes_total",
    help: "Connections idle too long, replaced before the next send.",
  },
  deadPeers: {
    name: "dead_peers_total",
    help: "Connections closed because the peer stopped answering heartbeats.",
  },
};

/** The network counters of one server or client, named by `endpoint`. */
export interface NetCounterSource {
  /** Label value, e.g. `dns`, `agent-udp`, `agent-dns-client`. */
  endpoint: string;
  /** Current counter values. */
  values: Readonly<Record<NetCounterName, number>>;
}

/**
 * Registers the network counters (`lars_bad_frames_total`,
 * `lars_frames_received_total`, ...) with an `endpoint` label, read from
 * `sources` at scrape time.
 */
export function defineNetMetrics(
  registry: MetricsRegistry,
  sources: () => readonly NetCounterSource[] | Promise<readonly NetCounterSource[]>,
): void {
  const cached = sharedRead(sources);
  for (const counter of NET_COUNTER_NAMES) {
    const { name, help } = NET_METRICS[counter];
    defineMetric(registry, {
      type: "counter",
      name: PREFIX + name,
      help,
      labels: ["endpoint"],
      read: async () =>
        (await cached()).map((s) => ({
          labels: { endpoint: s.endpoint },
          value: s.values[counter],
        })),
    });
  }
}

/**
 * Wraps an (async) read so that calls while one is in flight share its result:
 * one scrape (which collects every metric at once) reads many metrics from one
 * snapshot, and the next scrape reads afresh.
 */
export function sharedRead<T>(read: () => T | Promise<T>): () => Promise<T> {
  let pending: Promise<T> | null = null;
  return () => {
    if (pending === null) {
      const value = Promise.resolve().then(read);
      pending = value;
      const clear = () => {
        if (pending === value) pending = null;
      };
      value.then(clear, clear);
    }
    return pending;
  };
}
