import { describe, expect, it } from "vitest";
import { registryConfigYaml } from "../test-support/registry/config.js";
import { DEFAULT_PORTS } from "./options.js";
import {
  dataPaths,
  planChildren,
  registryConfig,
  SANDBOX_FLEET,
  SANDBOX_SIGNING_KEY_VERSION,
  TUNABLE_DEFAULTS,
} from "./plan.js";

const layout = {
  root: "/repo",
  dataDir: "/repo/.data",
  ports: DEFAULT_PORTS,
  secrets: {
    adminToken: "sandbox-admin-0123456789abcdef0123456789abcdef",
    webhookSecret: "whsec_sandboxabc",
    offlineTokenKeysFile: "/repo/.data/offline-token-keys.json",
  },
};

function spec(name: string, env: Record<string, string> = {}) {
  const found = planChildren(layout, env).find((s) => s.name === name);
  if (!found) throw new Error(`no ${name} in the plan`);
  return found;
}

describe("planChildren", () => {
  it("starts every component through its own entry point, dependencies first", () => {
    const plan = planChildren(layout, {});
    expect(plan.map((s) => [s.name, s.script])).toEqual([
      ["kube", "test-support/kube-apiserver/cli.ts"],
      ["stripe", "test-support/fake-stripe/cli.ts"],
      ["workstations", "test-support/fake-workstations/cli.ts"],
      ["mail", "sandbox/mail-child.ts"],
      ["billing", "billing/server.ts"],
      ["operator", "operator/main.ts"],
    ]);
    const position = new Map(plan.map((s, i) => [s.name, i]));
    for (const s of plan)
      for (const dependency of s.after) expect(position.get(dependency)).toBeLessThan(position.get(s.name)!);
  });

  it("maildev catches billing's mail on loopback: billing's SMTP_* point at its SMTP port, its web view is probed", () => {
    const mail = spec("mail");
    expect(mail.args).toEqual([
      "--smtp-port",
      "1025",
      "--web-port",
      "1080",
      "--mail-directory",
      "/repo/.data/mail",
    ]);
    expect(mail.health).toEqual({ kind: "http", url: "http://127.0.0.1:1080/api/healthz" });
    expect(spec("billing").env).toMatchObject({
      SMTP_HOST: "127.0.0.1",
      SMTP_PORT: "1025",
      SMTP_FROM: "no-reply@coditect.test",
    });
    expect(spec("billing").env).not.toHaveProperty("SMTP_PASSWORD");
    expect(spec("billing").after).toContain("mail");
  });

  it("the fake Stripe signs webhooks for billing's endpoint with the secret billing verifies", () => {
    const stripe = spec("stripe");
    const billing = spec("billing");
    expect(stripe.args).toEqual(
      expect.arrayContaining([
        "--webhook-url",
        "http://127.0.0.1:8080/v1/webhooks/stripe",
        "--webhook-secret",
        "whsec_sandboxabc",
      ]),
    );
    expect(billing.env.STRIPE_WEBHOOK_SECRET).toBe("whsec_sandboxabc");
    expect(billing.env.STRIPE_API_URL).toBe("http://127.0.0.1:12111");
  });

  it("the API test server runs with TLS from the sandbox's CA, tokens and RBAC, probed over HTTPS", () => {
    const kube = spec("kube");
    const flag = (name: string) => kube.args[kube.args.indexOf(name) + 1];
    expect([flag("--tls-cert"), flag("--tls-key"), flag("--tls-ca"), flag("--kubeconfig")]).toEqual([
      "/repo/.data/kube/tls.crt",
      "/repo/.data/kube/tls.key",
      "/repo/.data/kube/ca.crt",
      "/repo/.data/kube/admin.kubeconfig",
    ]);
    // RBAC is the CLI's default: the plan must not switch it (or TLS) off.
    expect(kube.args).not.toContain("--no-rbac");
    expect(kube.args).not.toContain("--insecure-http");
    expect(kube.health).toEqual({
      kind: "http",
      url: "https://127.0.0.1:16443/readyz",
      caFile: "/repo/.data/kube/ca.crt",
    });
  });

  it("billing runs on embedded PGlite in the data dir, as its own ServiceAccount, with the sandbox secrets", () => {
    const billing = spec("billing");
    expect(billing.env).toMatchObject({
      PORT: "8080",
      PGLITE_DIR: "/repo/.data/pglite",
      KUBECONFIG: "/repo/.data/kube/billing.kubeconfig",
      ADMIN_TOKEN: layout.secrets.adminToken,
      OFFLINE_TOKEN_KEYS_FILE: layout.secrets.offlineTokenKeysFile,
      PUBLIC_BASE_URL: "http://127.0.0.1:8080",
    });
    expect(billing.env.DATABASE_URL).toBeUndefined();
    expect(billing.health).toEqual({ kind: "http", url: "http://127.0.0.1:8080/readyz" });
  });

  it("the operator is configured with exactly the cluster and configs seeded on the fake", () => {
    const workstations = spec("workstations");
    const operator = spec("operator");
    const flag = (name: string) => workstations.args[workstations.args.indexOf(name) + 1];
    expect(flag("--project")).toBe(operator.env.WORKSTATIONS_PROJECT);
    expect(flag("--location")).toBe(operator.env.WORKSTATIONS_REGION);
    expect(flag("--cluster")).toBe(operator.env.WORKSTATIONS_CLUSTER);
    const configs = flag("--configs")!.split(",");
    const mapped = operator.env.WORKSTATIONS_TIER_CONFIGS!.split(",").map((pair) => pair.split("=")[1]);
    expect(mapped.sort()).toEqual(configs.sort());
    expect(Object.keys(SANDBOX_FLEET.tierConfigs).sort()).toEqual(["ai", "power", "standard"]);
    expect(operator.env).toMatchObject({
      WORKSTATIONS_ENDPOINT: "127.0.0.1:15051",
      WORKSTATIONS_INSECURE: "true",
      OPERATOR_LEADER_ELECTION: "false",
      OPERATOR_PROBE_PORT: "8081",
      KUBECONFIG: "/repo/.data/kube/operator.kubeconfig",
    });
  });

  it("tuning variables from the caller's environment replace the sandbox defaults", () => {
    expect(spec("billing").env.SESSIONS_HEARTBEAT_INTERVAL_SECONDS).toBe(
      TUNABLE_DEFAULTS.SESSIONS_HEARTBEAT_INTERVAL_SECONDS,
    );
    const env = {
      SESSIONS_HEARTBEAT_INTERVAL_SECONDS: "3",
      OPERATOR_OPERATION_POLL_MS: "200",
      SANDBOX_WORKSTATION_POLLS: "0",
    };
    expect(spec("billing", env).env.SESSIONS_HEARTBEAT_INTERVAL_SECONDS).toBe("3");
    expect(spec("operator", env).env.OPERATOR_OPERATION_POLL_MS).toBe("200");
    const workstations = spec("workstations", env);
    expect(workstations.args[workstations.args.indexOf("--polls") + 1]).toBe("0");
  });

  it("without docker-registry the supply-chain children are left out; with it the registry and the fake KMS start first", () => {
    expect(planChildren({ ...layout, supplyChain: false }, {}).map((s) => s.name)).not.toContain("registry");
    const plan = planChildren({ ...layout, supplyChain: true }, {});
    expect(plan.map((s) => s.name)).toEqual([
      "kube",
      "stripe",
      "workstations",
      "mail",
      "billing",
      "operator",
      "registry",
      "kms",
    ]);
    for (const name of ["registry", "kms"]) expect(plan.find((s) => s.name === name)!.after).toEqual([]);
  });

  it("the registry runs from a config in the data dir, is probed on /v2/ and stays healthy once token auth answers 401", () => {
    const registry = planChildren({ ...layout, supplyChain: true }, {}).find((s) => s.name === "registry")!;
    expect(registry.script).toBe("sandbox/registry-child.ts");
    expect(registry.args).toEqual(["--config", "/repo/.data/registry/config.yml"]);
    expect(registry.health).toEqual({
      kind: "http",
      url: "http://127.0.0.1:15000/v2/",
      acceptStatus: [401],
    });
    // Token auth with billing as the realm (issue 15), trusting the sandbox's token CA; billing signs with
    // the same key pair for the same service and issuer.
    const yaml = registryConfigYaml(registryConfig(layout));
    expect(yaml).toContain("addr: 127.0.0.1:15000");
    expect(yaml).toContain("rootdirectory: /repo/.data/registry/data");
    expect(yaml).toContain("    realm: http://127.0.0.1:8080/v1/registry/token\n");
    expect(yaml).toContain("    service: coditect-sandbox-registry\n");
    expect(yaml).toContain("    issuer: coditect-sandbox-billing\n");
    expect(yaml).toContain("    rootcertbundle: /repo/.data/registry-token/ca.pem\n");
    const billing = planChildren({ ...layout, supplyChain: true }, {}).find((s) => s.name === "billing")!;
    expect(billing.env).toMatchObject({
      REGISTRY_CREDENTIALS: "docker-token",
      REGISTRY_HOST: "127.0.0.1:15000",
      REGISTRY_TOKEN_SERVICE: "coditect-sandbox-registry",
      REGISTRY_TOKEN_ISSUER: "coditect-sandbox-billing",
      REGISTRY_TOKEN_KEY_FILE: "/repo/.data/registry-token/key.pem",
      REGISTRY_TOKEN_CERTS_FILE: "/repo/.data/registry-token/certs.pem",
      REGISTRY_TOKEN_LIFETIME_SECONDS: "300",
    });
    // Without the registry billing's token endpoint stays off (404 registry_not_configured).
    expect(spec("billing").env.REGISTRY_CREDENTIALS).toBeUndefined();
  });

  it("the fake KMS serves the P-384 key version kept in the data dir and writes its public key where the banner points", () => {
    const kms = planChildren({ ...layout, supplyChain: true }, {}).find((s) => s.name === "kms")!;
    const flag = (name: string) => kms.args[kms.args.indexOf(name) + 1];
    expect(kms.script).toBe("sandbox/kms-child.ts");
    expect(flag("--port")).toBe("15052");
    expect(flag("--key-version")).toBe(SANDBOX_SIGNING_KEY_VERSION);
    expect(flag("--private-key")).toBe("/repo/.data/kms/signing-key.private.pem");
    expect(flag("--public-key")).toBe(dataPaths("/repo/.data").signingKey);
    expect(dataPaths("/repo/.data").signingKey).toBe("/repo/.data/signing-key.pem");
    expect(kms.health).toEqual({ kind: "tcp", port: 15052 });
  });
});
