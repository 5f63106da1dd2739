/**
 * THE list of differences between the rendered manifests and what the rehearsal runs. Everything not
 * listed here runs exactly as rendered. Two kinds:
 * - outside endpoints: services outside the cluster (Stripe, Cloud Workstations, Google metadata, the
 *   database host) replaced by local stand-ins, and listen ports remapped to free ones because every pod
 *   shares the host's loopback;
 * - instrumentation: what the rehearsal adds to observe the processes.
 * Printed at the start of every rehearsal (describeOverrides).
 */
import type { RenderedStack } from "./render.js";

export type ServiceName = "billing" | "operator";

export interface EnvOverride {
  /** Which container (or "workstation": the WorkstationConfig's container env). */
  target: ServiceName | "workstation";
  /** An init container of the target's pod, by name; absent: the main container. */
  container?: string;
  variable: string;
  /** The rendered value, or undefined when the manifest does not set the variable. */
  rendered: string | undefined;
  value: string;
  why: string;
}

export interface OutsideEndpoints {
  stripeApiUrl: string;
  /** host:port of the fake Cloud Workstations API (gRPC, plaintext). */
  workstationsEndpoint: string;
  database: { host: string; port: number };
  /** Free local ports for the pods' listeners (rendered containerPort → local port). */
  ports: Record<ServiceName, Record<number, number>>;
  /** Where the workstation side reaches billing (the license server) from the host. */
  licenseServerUrl: string;
  /** The stand-in for Google's ID-token keys (https://www.googleapis.com/oauth2/v3/certs). */
  googleCertsUrl: string;
}

export const INSTRUMENTATION: string[] = [
  "node --import /rehearsal/env-probe.mjs (records every process.env read; rehearsal/env-probe.mjs)",
  "REHEARSAL_ENV_PROBE_OUT=/rehearsal/env-reads.jsonl (read and removed by the probe before the service starts)",
  "bind mount /rehearsal (the probe and its output file)",
  "the node binary and node_modules come from this checkout (bind-mounted at /nodejs/bin and /app/node_modules), not the image",
];

function envOf(rendered: RenderedStack, deployment: string, variable: string): string | undefined {
  const d = rendered.deployments.find((x) => x.metadata.name === deployment);
  return d?.spec.template.spec.containers[0]?.env?.find((e) => e.name === variable)?.value;
}

/** Rewrites a postgres URL's host and port only (user, database, sslmode, sslrootcert stay as rendered). */
export function withDatabaseHost(url: string, host: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = host;
  parsed.port = String(port);
  return parsed.toString();
}

/** Every env override, for every target. Pure. */
export function envOverrides(rendered: RenderedStack, endpoints: OutsideEndpoints): EnvOverride[] {
  const list: EnvOverride[] = [];
  const billingPod = rendered.deployments.find((x) => x.metadata.name === "billing")?.spec.template.spec;
  for (const init of billingPod?.initContainers ?? []) {
    const url = init.env?.find((e) => e.name === "DATABASE_URL")?.value;
    if (!url) continue;
    list.push({
      target: "billing",
      container: init.name,
      variable: "DATABASE_URL",
      rendered: url,
      value: withDatabaseHost(url, endpoints.database.host, endpoints.database.port),
      why: "database host → local PostgreSQL (host and port only), for the migration step",
    });
  }
  const renderedDbUrl = envOf(rendered, "billing", "DATABASE_URL");
  if (renderedDbUrl) {
    list.push({
      target: "billing",
      variable: "DATABASE_URL",
      rendered: renderedDbUrl,
      value: withDatabaseHost(renderedDbUrl, endpoints.database.host, endpoints.database.port),
      why: "database host → local PostgreSQL with a Cloud SQL-like certificate (host and port only; still an IP address)",
    });
  }
  list.push({
    target: "billing",
    variable: "ADMIN_GOOGLE_JWKS_URL",
    rendered: envOf(rendered, "billing", "ADMIN_GOOGLE_JWKS_URL"),
    value: endpoints.googleCertsUrl,
    why: "Google's ID-token keys → the stand-in that signs the rehearsal admin's token (test-support/fake-google-identity)",
  });
  list.push({
    target: "billing",
    variable: "STRIPE_API_URL",
    rendered: envOf(rendered, "billing", "STRIPE_API_URL"),
    value: endpoints.stripeApiUrl,
    why: "Stripe API → the fake Stripe (test-support/fake-stripe)",
  });
  for (const [service, variable] of [
    ["billing", "PORT"],
    ["operator", "OPERATOR_PROBE_PORT"],
  ] as const) {
    const value = envOf(rendered, service, variable);
    const local = value ? endpoints.ports[service][Number(value)] : undefined;
    if (value && local) {
      list.push({
        target: service,
        variable,
        rendered: value,
        value: String(local),
        why: "listen port remapped to a free local port (all pods share the host's loopback)",
      });
    }
  }
  list.push(
    {
      target: "operator",
      variable: "WORKSTATIONS_ENDPOINT",
      rendered: envOf(rendered, "operator", "WORKSTATIONS_ENDPOINT"),
      value: endpoints.workstationsEndpoint,
      why: "Cloud Workstations API → the fake (test-support/fake-workstations)",
    },
    {
      target: "operator",
      variable: "WORKSTATIONS_INSECURE",
      rendered: envOf(rendered, "operator", "WORKSTATIONS_INSECURE"),
      value: "true",
      why: "the fake speaks plaintext gRPC without Google credentials",
    },
    {
      target: "operator",
      variable: "METADATA_SERVER_DETECTION",
      rendered: envOf(rendered, "operator", "METADATA_SERVER_DETECTION"),
      value: "none",
      why: "Google metadata server (Workload Identity) → none: google-auth-library must not probe 169.254.169.254",
    },
    {
      target: "workstation",
      variable: "CODITECT_LICENSE_SERVER",
      rendered: Object.values(rendered.workstationEnv)[0]?.CODITECT_LICENSE_SERVER,
      value: endpoints.licenseServerUrl,
      why: "license server URL → billing as the rehearsal runs it (the rendered value is the public host)",
    },
  );
  return list;
}

/** The override table as printed at the start of a rehearsal. */
export function describeOverrides(list: EnvOverride[]): string {
  const lines = ["Differences from the rendered manifests (rehearsal/overrides.ts):"];
  for (const o of list) {
    const target = o.container ? `${o.target}/${o.container}` : o.target;
    lines.push(`  ${target} ${o.variable}: ${o.rendered ?? "(unset)"} → ${o.value}`, `      ${o.why}`);
  }
  lines.push("Instrumentation:", ...INSTRUMENTATION.map((i) => `  ${i}`));
  return lines.join("\n");
}
