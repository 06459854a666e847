/**
 * A running Lars system for agent tests: a DNS service and a report sink in
 * this process, and the real agent as a subprocess (`deno task agent`).
 *
 * @module
 */
import { DnsService } from "../../dns/dns_service.ts";
import type { FleetHealthOptions } from "../../dns/fleet_health.ts";
import { MessageId, type ReportStatusRequest, ReportStatusRequestCodec } from "../../proto/mod.ts";
import { TcpServer } from "../../reactor/tcp_server.ts";
import { denoTransport } from "../../reactor/transport_deno.ts";
import type { RouteStore } from "../../store/types.ts";
import { openRouteStore } from "../../store/url.ts";
import { AgentProbe, freeUdpPortTriple } from "../support/agent_probe.ts";
import { repoTempDir, ServiceProcess, writeRepoFile } from "../support/process.ts";

/** Settings a test may change. */
export interface SystemOptions {
  /** Extra `[loadbalance]` lines. */
  loadBalance?: Record<string, number>;
  /** Store URL; default a fresh SQLite file. */
  storeUrl?: string;
  /** Extra `[agent]` lines. */
  agent?: Record<string, number>;
  /** The DNS service's fleet verdict settings (default: the service's). */
  dnsFleet?: Partial<FleetHealthOptions>;
  /** More config sections, appended to the agent's config file (e.g. `[admin]`). */
  extraConfig?: string;
}

/** Captures what agents send to the reporter. */
export class ReportSink {
  readonly received: ReportStatusRequest[] = [];
  server: TcpServer;

  constructor(port = 0) {
    this.server = new TcpServer({ transport: denoTransport, port, name: "report-sink" });
    this.server.router.on(MessageId.ReportStatusRequest, ReportStatusRequestCodec, (r) => {
      this.received.push(r);
    });
    this.server.listen();
  }

  get port(): number {
    return this.server.addr.port;
  }
}

/** The system under test. */
export class AgentSystem {
  dns!: DnsService;
  dnsStore!: RouteStore;
  admin!: RouteStore;
  sink!: ReportSink | null;
  agent!: ServiceProcess | null;
  probe!: AgentProbe;
  dnsPort = 0;
  reportPort = 0;
  agentPort = 0;
  dir!: { path: string; remove(): Promise<void> };
  storeUrl = "";
  configPath = "";
  dnsFleet: Partial<FleetHealthOptions> | undefined;

  static async start(options: SystemOptions = {}): Promise<AgentSystem> {
    const s = new AgentSystem();
    s.dir = await repoTempDir("agent_");
    s.storeUrl = options.storeUrl ?? `sqlite:${s.dir.path}/lars.db`;
    s.dnsFleet = options.dnsFleet;
    s.admin = await openRouteStore(s.storeUrl);
    await s.startDns();
    s.sink = new ReportSink();
    s.reportPort = s.sink.port;
    s.agentPort = freeUdpPortTriple();
    const lb = { probe_num: 10, ...options.loadBalance };
    s.configPath = `${s.dir.path}/lars_lb_agent.conf`;
    await writeRepoFile(
      s.configPath,
      [
        `[reporter]\nip = 127.0.0.1\nport = ${s.reportPort}`,
        `[dnsserver]\nip = 127.0.0.1\nport = ${s.dnsPort}`,
        `[loadbalance]\n${Object.entries(lb).map(([k, v]) => `${k} = ${v}`).join("\n")}`,
        `[agent]\nip = 127.0.0.1\nport = ${s.agentPort}\nreport_interval = 0.2\n` +
        `cache_dir = ${s.dir.path}/cache\ncaller = 10.20.30.40` +
        Object.entries(options.agent ?? {}).map(([k, v]) => `\n${k} = ${v}`).join(""),
        options.extraConfig ?? "",
      ].join("\n\n") + "\n",
    );
    await s.startAgent();
    s.probe = new AgentProbe(s.agentPort);
    return s;
  }

  /** Starts (or restarts, on the same port) the DNS service. */
  async startDns(): Promise<void> {
    this.dnsStore = await openRouteStore(this.storeUrl);
    this.dns = new DnsService({
      store: this.dnsStore,
      transport: denoTransport,
      port: this.dnsPort,
      pollIntervalMs: 50,
      reloadIntervalMs: 1000,
      fleet: this.dnsFleet,
    });
    const addr = await this.dns.start();
    this.dnsPort = addr!.port;
  }

  async stopDns(): Promise<void> {
    await this.dns.stop();
    await this.dnsStore.close();
  }

  /** Starts the agent subprocess and waits until its UDP ports are bound. */
  async startAgent(): Promise<void> {
    this.agent = new ServiceProcess("agent", ["--config", this.configPath]);
    await this.agent.waitForLog(/INFO agent: UDP 127\.0\.0\.1:/);
  }

  async stopAgent(): Promise<Deno.CommandStatus | null> {
    const status = await this.agent?.stop("SIGTERM") ?? null;
    this.agent = null;
    return status;
  }

  async stopSink(): Promise<void> {
    await this.sink?.server.close();
    this.sink = null;
  }

  startSink(): void {
    this.sink = new ReportSink(this.reportPort);
  }

  async close(): Promise<void> {
    await this.probe?.close();
    await this.stopAgent();
    await this.stopSink();
    await this.stopDns().catch(() => {});
    await this.admin.close();
    await this.dir.remove();
  }
}
