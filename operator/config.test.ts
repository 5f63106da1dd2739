import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.js";

const valid = {
  WORKSTATIONS_PROJECT: "coditect-prod",
  WORKSTATIONS_REGION: "us-central1",
  WORKSTATIONS_CLUSTER: "coditect-ws",
  WORKSTATIONS_TIER_CONFIGS: "standard=coditect-standard, power=coditect-power",
};

function problems(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env, "host");
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("operator configuration", () => {
  it("reads a valid environment with defaults", () => {
    const config = loadConfig(valid, "pod-1");
    expect(config).toMatchObject({
      clusterName: "projects/coditect-prod/locations/us-central1/workstationClusters/coditect-ws",
      tierConfigs: { standard: "coditect-standard", power: "coditect-power" },
      endpoint: undefined,
      insecure: false,
      namespace: "coditect-operator",
      leaderElection: true,
      workers: 4,
      probePort: 8081,
      operationPollMs: 2_000,
    });
    expect(config.identity).toMatch(/^pod-1-\d+-[a-z0-9]+$/);
  });

  it("parses the endpoint of the local fake", () => {
    const config = loadConfig({
      ...valid,
      WORKSTATIONS_ENDPOINT: "127.0.0.1:7443",
      WORKSTATIONS_INSECURE: "true",
    });
    expect(config.endpoint).toEqual({ host: "127.0.0.1", port: 7443 });
    expect(config.insecure).toBe(true);
  });

  it("names every missing variable", () => {
    const found = problems({});
    expect(found).toHaveLength(4);
    expect(found[0]).toMatch(/^WORKSTATIONS_PROJECT: is required/);
    expect(found.join("\n")).toMatch(/WORKSTATIONS_TIER_CONFIGS: is required, e\.g\. standard=/);
  });

  it("names the bad value and what is expected", () => {
    expect(problems({ ...valid, WORKSTATIONS_REGION: "US Central" })).toEqual([
      'WORKSTATIONS_REGION="US Central": must be a Google Cloud resource id (lowercase letters, digits, hyphens) — the region of the workstation cluster, e.g. us-central1',
    ]);
    expect(problems({ ...valid, OPERATOR_WORKERS: "0" })[0]).toMatch(/^OPERATOR_WORKERS="0": /);
    expect(problems({ ...valid, OPERATOR_LEADER_ELECTION: "yes" })[0]).toBe(
      'OPERATOR_LEADER_ELECTION="yes": must be true or false',
    );
  });

  it("reads the API client's QPS and burst (client-go defaults are far too low for a 5,000-session revocation)", () => {
    expect(loadConfig(valid).kubeClientRateLimit).toEqual({ qps: 600, burst: 1_200 });
    expect(
      loadConfig({ ...valid, OPERATOR_KUBE_QPS: "50", OPERATOR_KUBE_BURST: "100" }).kubeClientRateLimit,
    ).toEqual({ qps: 50, burst: 100 });
    expect(problems({ ...valid, OPERATOR_KUBE_QPS: "0" })[0]).toMatch(/^OPERATOR_KUBE_QPS="0": /);
    expect(problems({ ...valid, OPERATOR_KUBE_BURST: "1.5" })[0]).toMatch(/^OPERATOR_KUBE_BURST="1.5": /);
    expect(problems({ ...valid, OPERATOR_KUBE_QPS: "fast" })[0]).toMatch(/^OPERATOR_KUBE_QPS="fast": /);
  });

  it("rejects unknown tiers, malformed pairs and bad config ids in the tier mapping", () => {
    const found = problems({ ...valid, WORKSTATIONS_TIER_CONFIGS: "gold=x,standard,power=Bad_Id" });
    expect(found).toEqual([
      'WORKSTATIONS_TIER_CONFIGS="gold=x,standard,power=Bad_Id": unknown tier "gold" (tiers: standard, power, ai)',
      'WORKSTATIONS_TIER_CONFIGS="gold=x,standard,power=Bad_Id": entry "standard" is not tier=configId',
      'WORKSTATIONS_TIER_CONFIGS="gold=x,standard,power=Bad_Id": config id "Bad_Id" for tier power is not a resource id',
      'WORKSTATIONS_TIER_CONFIGS="gold=x,standard,power=Bad_Id": maps no tier to a config',
    ]);
  });
});
