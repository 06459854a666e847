/**
 * Every metric the services export, read from their registries without
 * starting them (the services are built, not started: nothing listens).
 *
 * @module
 */
import { agentAdmin } from "../../agent/agent_admin.ts";
import { AgentService } from "../../agent/agent_service.ts";
import { readAgentSettings } from "../../agent/config.ts";
import { dnsAdmin } from "../../dns/dns_admin.ts";
import { DnsService } from "../../dns/dns_service.ts";
import { Config } from "../../reactor/config.ts";
import type { MetricsRegistry } from "../../reactor/metrics.ts";
import { denoTransport } from "../../reactor/transport_deno.ts";
import { ReportService } from "../../reporter/report_service.ts";
import { reporterAdmin } from "../../reporter/reporter_admin.ts";
import { createReportStore, createRouteStore } from "../../store/url.ts";
import { plainPassword } from "../../web/auth.ts";
import { webAdmin } from "../../web/web_admin.ts";
import { WebService } from "../../web/web_service.ts";
import { createLogger } from "../../reactor/log.ts";

/** One exported metric. */
export interface CatalogEntry {
  /** Services exporting it. */
  services: string[];
  /** Metric name. */
  name: string;
  /** counter, gauge, histogram. */
  type: string;
  /** Help text. */
  help: string;
}

function entries(registry: MetricsRegistry) {
  return registry.getMetricsAsArray().map((m) => {
    const metric = m as unknown as { name: string; help: string; type: string };
    return { name: metric.name, type: metric.type, help: metric.help };
  });
}

/** The metrics of dns, reporter, agent and web, by name. */
export async function metricCatalog(dir: string): Promise<Map<string, CatalogEntry>> {
  const catalog = new Map<string, CatalogEntry>();
  const add = (service: string, registry: MetricsRegistry) => {
    for (const e of entries(registry)) {
      const known = catalog.get(e.name);
      if (known) known.services.push(service);
      else catalog.set(e.name, { services: [service], ...e });
    }
  };
  const routeStore = createRouteStore(`sqlite:${dir}/routes.db`);
  const reportStore = createReportStore(`sqlite:${dir}/reports.db`);
  try {
    const dns = new DnsService({ store: routeStore, transport: denoTransport });
    add("dns", dnsAdmin(dns).registry);

    const reporter = new ReportService({ store: reportStore, transport: denoTransport });
    add("reporter", reporterAdmin(reporter).registry);

    const settings = readAgentSettings(
      Config.parse(
        "[reporter]\nip = 127.0.0.1\nport = 1\n[dnsserver]\nip = 127.0.0.1\nport = 1\n",
        "a.conf",
      ),
    );
    const agent = new AgentService({ settings, transport: denoTransport, caller: 1 });
    add("agent", agentAdmin(agent).registry);

    const web = new WebService({
      settings: {
        hostname: "127.0.0.1",
        port: 0,
        storeUrl: `sqlite:${dir}/web.db`,
        users: new Map([["a", await plainPassword("catalog-password")]]),
        sessionTtl: 60,
        loginLimit: 5,
      },
      transport: denoTransport,
      log: createLogger("web"),
    });
    add("web", webAdmin(web).registry);
    await web.stop();
  } finally {
    await routeStore.close();
    await reportStore.close();
  }
  return catalog;
}
