import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BILLING_ENV_VARIABLES, loadConfig } from "../../billing/config.js";
import {
  INTERNAL_ROUTE_PREFIXES,
  ingressPathMatches,
  PUBLIC_ROUTES,
} from "../../billing/http/public-routes.js";
import { loadConfig as loadOperatorConfig, OPERATOR_ENV_VARIABLES } from "../../operator/config.js";
import { type RecordedResource, type Recording, startRecording } from "../../stacks/plan/harness.js";
import { adminEnv, BILLING_PORT, BILLING_SECRET_FILES, billingSecretFiles, smtpEnv } from "./billing.js";
import { ControlPlane, type ControlPlaneArgs, loadControlPlaneCrds } from "./index.js";
import { billingPolicy } from "./network-policies.js";
import { OPERATOR_PROBE_PORT } from "./operator.js";
import { BILLING_CLUSTER_RULES, loadOperatorRules } from "./rbac.js";

let rec: Recording;
const digest = (image: string) =>
  `us-central1-docker.pkg.dev/p/coditect-platform/${image}@sha256:${"c".repeat(64)}`;
const OPERATOR_GSA = "coditect-operator@proj-test-1.iam.gserviceaccount.com";
const BILLING_GSA = "coditect-billing@proj-test-1.iam.gserviceaccount.com";
const emptyDir = mkdtempSync(path.join(tmpdir(), "coditect-no-crds-"));
afterAll(() => rmSync(emptyDir, { recursive: true, force: true }));

const args = (over: Partial<ControlPlaneArgs> = {}): ControlPlaneArgs => ({
  project: "proj-test-1",
  masterCidr: "172.16.0.0/28",
  workstations: {
    project: "proj-test-1",
    region: "us-central1",
    clusterId: "coditect-ws-cluster",
    configIds: { standard: "coditect-standard", power: "coditect-power", ai: "coditect-ai" },
    serviceAccountEmail: "coditect-workstation@proj-test-1.iam.gserviceaccount.com",
  },
  operator: {
    namespace: "coditect-operator",
    serviceAccount: "operator",
    googleServiceAccountEmail: OPERATOR_GSA,
    image: digest("operator"),
  },
  billing: {
    namespace: "coditect-billing",
    serviceAccount: "billing",
    googleServiceAccountEmail: BILLING_GSA,
    image: digest("billing"),
    host: "api.example.test",
    minReplicas: 2,
    maxReplicas: 10,
    databaseHost: "10.60.0.3",
    databaseServerCa: "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n",
    secretNames: {
      "stripe-secret-key": "projects/p/secrets/stripe-secret-key",
      "stripe-webhook-secret": "projects/p/secrets/stripe-webhook-secret",
      "billing-admin-token": "projects/p/secrets/billing-admin-token",
      "billing-database-password": "projects/p/secrets/billing-database-password",
      "billing-migration-database-password": "projects/p/secrets/billing-migration-database-password",
      "offline-token-signing-key": "projects/p/secrets/offline-token-signing-key",
      "smtp-password": "projects/p/secrets/smtp-password",
      "account-google-client-secret": "projects/p/secrets/account-google-client-secret",
    },
    stripePriceIds: {
      starter: "price_live_starter",
      pro: "price_live_pro",
      enterprise: "price_live_enterprise",
      standard: "price_live_standard",
      power: "price_live_power",
      ai: "price_live_ai",
    },
    admins: {
      emails: ["alice@coditect.example", "bob@coditect.example"],
      idTokenAudiences: ["32555940559.apps.googleusercontent.com"],
      breakGlass: false,
    },
  },
  ...over,
});

beforeAll(async () => {
  rec = await startRecording({ project: "coditect-control-plane", stack: "test" });
  const provider = new k8s.Provider("gke", { kubeconfig: "{}" });
  new ControlPlane("cp", args(), { providers: [provider] });
  await rec.settle();
});

const k8sResources = () => rec.resources.filter((r) => r.type.startsWith("kubernetes:"));
const one = (type: string, name: string) => rec.get(`kubernetes:${type}`, name);
type PodSpec = {
  securityContext: Record<string, unknown>;
  serviceAccountName: string;
  containers: {
    image: string;
    env: { name: string; value?: string }[];
    securityContext: unknown;
    resources: { limits: Record<string, string> };
  }[];
  volumes: { name: string; csi?: { driver: string; volumeAttributes: Record<string, string> } }[];
};
const podSpec = (r: RecordedResource) => (r.inputs.spec as { template: { spec: PodSpec } }).template.spec;

describe("ControlPlane", () => {
  it("applies every CRD from crds/ before the workloads that use them", () => {
    const crds = rec.ofType("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition");
    expect(crds.map((c) => (c.inputs.metadata as { name: string }).name).sort()).toEqual([
      "containersessions.coditect.ai",
      "licenses.coditect.ai",
      "workstations.coditect.ai",
    ]);
    for (const deployment of rec.ofType("kubernetes:apps/v1:Deployment")) {
      for (const crd of crds) expect(deployment.dependencies).toContain(crd.urn);
    }
  });

  it("fails clearly when crds/ has no CRDs", () => {
    expect(() => loadControlPlaneCrds(emptyDir)).toThrow(/no CustomResourceDefinitions in .*crds\/\*\.yaml/);
    expect(() => loadControlPlaneCrds(path.join(emptyDir, "missing"))).toThrow(
      /no CustomResourceDefinitions/,
    );
  });

  it("deploys everything through the GKE provider, parented to the component", () => {
    const component = rec.get("coditect:index:ControlPlane", "cp");
    for (const r of k8sResources()) {
      expect(r.parent).toBe(component.urn);
      expect(r.provider).toMatch(
        /^urn:pulumi:test::coditect-control-plane::pulumi:providers:kubernetes::gke::/,
      );
    }
  });

  it("enforces the restricted Pod Security Standard on both namespaces", () => {
    for (const name of ["cp-operator-namespace", "cp-billing-namespace"]) {
      expect(
        (one("core/v1:Namespace", name).inputs.metadata as { labels: Record<string, string> }).labels,
      ).toMatchObject({
        "pod-security.kubernetes.io/enforce": "restricted",
      });
    }
  });

  it("binds each Kubernetes service account to its Google service account", () => {
    expect(one("core/v1:ServiceAccount", "cp-operator-ksa").inputs.metadata).toMatchObject({
      name: "operator",
      namespace: "coditect-operator",
      annotations: { "iam.gke.io/gcp-service-account": OPERATOR_GSA },
    });
    expect(one("core/v1:ServiceAccount", "cp-billing-ksa").inputs.metadata).toMatchObject({
      annotations: { "iam.gke.io/gcp-service-account": BILLING_GSA },
    });
  });

  it("grants exactly the least-privilege rule tables, bound to the right service accounts", () => {
    expect(one("rbac.authorization.k8s.io/v1:ClusterRole", "cp-operator-role").inputs.rules).toEqual(
      loadOperatorRules().cluster,
    );
    expect(one("rbac.authorization.k8s.io/v1:ClusterRole", "cp-billing-role").inputs.rules).toEqual(
      BILLING_CLUSTER_RULES,
    );
    expect(
      one("rbac.authorization.k8s.io/v1:ClusterRoleBinding", "cp-billing-binding").inputs.subjects,
    ).toEqual([{ kind: "ServiceAccount", name: "billing", namespace: "coditect-billing" }]);
    const allRules = JSON.stringify(
      rec.resources.filter((r) => /Role$/.test(r.type)).map((r) => r.inputs.rules),
    );
    expect(allRules).not.toContain("*");
    expect(allRules).not.toContain('"secrets"');
  });

  it("runs hardened, digest-pinned pods with limits", () => {
    for (const name of ["cp-operator", "cp-billing"]) {
      const spec = podSpec(one("apps/v1:Deployment", name));
      expect(spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
      });
      for (const c of spec.containers) {
        expect(c.image).toMatch(/@sha256:[a-f0-9]{64}$/);
        expect(c.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ["ALL"] },
        });
        expect(Object.keys(c.resources.limits).sort()).toEqual(["cpu", "memory"]);
      }
    }
  });

  it("configures the operator for the workstation cluster and its tier configs", () => {
    const env = podSpec(one("apps/v1:Deployment", "cp-operator")).containers[0]!.env;
    expect(env).toEqual(
      expect.arrayContaining([
        { name: "WORKSTATIONS_CLUSTER", value: "coditect-ws-cluster" },
        {
          name: "WORKSTATIONS_TIER_CONFIGS",
          value: "standard=coditect-standard,power=coditect-power,ai=coditect-ai",
        },
      ]),
    );
  });

  it("gives billing its secrets as files from Secret Manager, never as values", () => {
    const spec = podSpec(one("apps/v1:Deployment", "cp-billing"));
    const env = spec.containers[0]!.env;
    for (const [variable, file] of Object.entries(BILLING_SECRET_FILES)) {
      expect(env).toContainEqual({ name: variable, value: `/etc/coditect/secrets/${file}` });
    }
    expect(env.map((e) => e.name)).not.toContain("STRIPE_SECRET_KEY");
    expect(env).toContainEqual({ name: "STRIPE_PRICE_PRO", value: "price_live_pro" });
    expect(env).toContainEqual({ name: "STRIPE_PRICE_AI", value: "price_live_ai" });
    expect(spec.volumes.find((v) => v.name === "secrets")?.csi).toMatchObject({
      driver: "secrets-store-gke.csi.k8s.io",
      volumeAttributes: { secretProviderClass: "billing-secrets" },
    });
    const spc = one("secrets-store.csi.x-k8s.io/v1:SecretProviderClass", "cp-billing-secrets");
    expect((spc.inputs.spec as { parameters: { secrets: string } }).parameters.secrets).toContain(
      'resourceName: "projects/p/secrets/stripe-secret-key/versions/latest"',
    );
  });

  it("admins: the allow-list and gcloud's audience; no break-glass token mounted or accepted (ADR 0165)", () => {
    const env = podSpec(one("apps/v1:Deployment", "cp-billing")).containers[0]!.env;
    expect(env).toEqual(
      expect.arrayContaining([
        { name: "ADMIN_EMAILS", value: "alice@coditect.example,bob@coditect.example" },
        { name: "ADMIN_ID_TOKEN_AUDIENCES", value: "32555940559.apps.googleusercontent.com" },
      ]),
    );
    const names = env.map((e) => e.name);
    expect(names).not.toContain("ADMIN_TOKEN_FILE");
    expect(names).not.toContain("ADMIN_BREAK_GLASS");
    const spc = one("secrets-store.csi.x-k8s.io/v1:SecretProviderClass", "cp-billing-secrets");
    expect((spc.inputs.spec as { parameters: { secrets: string } }).parameters.secrets).not.toContain(
      "billing-admin-token",
    );
  });

  it("migrates in an init container as the migration user, whose password billing's container never mounts (ADR 0166)", () => {
    const spec = podSpec(one("apps/v1:Deployment", "cp-billing")) as ReturnType<typeof podSpec> & {
      initContainers: {
        name: string;
        args: string[];
        env: { name: string; value: string }[];
        volumeMounts: { name: string }[];
      }[];
    };
    const [init] = spec.initContainers;
    expect(init!.args).toEqual([
      "billing.mjs",
      "--migrate-only",
      "--runtime-user",
      "billing",
      "--runtime-password-file",
      "/etc/coditect/migration-secrets/billing-database-password",
    ]);
    expect(init!.env.find((e) => e.name === "DATABASE_URL")?.value).toMatch(
      /^postgres:\/\/billing_migrator@10\.60\.0\.3:5432\/billing\?/,
    );
    expect(init!.volumeMounts.map((m) => m.name)).toContain("migration-secrets");
    const main = spec.containers[0] as unknown as { volumeMounts: { name: string }[] };
    expect(main.volumeMounts.map((m) => m.name)).not.toContain("migration-secrets");
    expect(spec.containers[0]!.env).toContainEqual({ name: "DATABASE_MIGRATIONS", value: "verify" });
    expect(spec.containers[0]!.env.find((e) => e.name === "DATABASE_URL")?.value).toMatch(
      /^postgres:\/\/billing@/,
    );
    const mainSecrets = one("secrets-store.csi.x-k8s.io/v1:SecretProviderClass", "cp-billing-secrets");
    expect((mainSecrets.inputs.spec as { parameters: { secrets: string } }).parameters.secrets).not.toContain(
      "billing-migration-database-password",
    );
    const migration = one(
      "secrets-store.csi.x-k8s.io/v1:SecretProviderClass",
      "cp-billing-migration-secrets",
    );
    expect((migration.inputs.spec as { parameters: { secrets: string } }).parameters.secrets).toContain(
      'resourceName: "projects/p/secrets/billing-migration-database-password/versions/latest"',
    );
  });

  it("break-glass switched on: the token is mounted and ADMIN_BREAK_GLASS=true lets billing accept it", () => {
    const admins = { ...args().billing.admins, breakGlass: true };
    expect(adminEnv(admins)).toContainEqual({ name: "ADMIN_BREAK_GLASS", value: "true" });
    expect(billingSecretFiles(admins)).toMatchObject({ ADMIN_TOKEN_FILE: "billing-admin-token" });
    expect(Object.keys(billingSecretFiles({ breakGlass: false }))).not.toContain("ADMIN_TOKEN_FILE");
    expect(() => adminEnv({ ...admins, emails: [] })).toThrow(/at least one admin email/);
  });

  it("an SMTP relay: billing gets its host/port/From, the password only as a mounted file, egress on its port", () => {
    const smtp = {
      host: "smtp-relay.example.test",
      port: 587,
      from: "no-reply@example.test",
      user: "mailer",
    };
    const env = smtpEnv(smtp);
    expect(env).toEqual([
      { name: "SMTP_HOST", value: "smtp-relay.example.test" },
      { name: "SMTP_PORT", value: "587" },
      { name: "SMTP_FROM", value: "no-reply@example.test" },
      { name: "SMTP_USER", value: "mailer" },
    ]);
    const files = billingSecretFiles({ breakGlass: false }, smtp);
    expect(files).toMatchObject({ SMTP_PASSWORD_FILE: "smtp-password" });
    expect(
      Object.keys(billingSecretFiles({ breakGlass: false }, { ...smtp, user: undefined })),
    ).not.toContain("SMTP_PASSWORD_FILE");
    // What billing would read from that env is a valid configuration.
    const config = loadConfig({
      ...Object.fromEntries(env.map((e) => [e.name, e.value])),
      SMTP_PASSWORD: "relay-password",
      ADMIN_TOKEN: "a".repeat(32),
      STRIPE_SECRET_KEY: "sk_test_x",
      STRIPE_WEBHOOK_SECRET: "whsec_x",
      ...Object.fromEntries(
        ["STARTER", "PRO", "ENTERPRISE", "STANDARD", "POWER", "AI"].map((p) => [
          `STRIPE_PRICE_${p}`,
          `price_${p}`,
        ]),
      ),
    });
    expect(config.smtp).toEqual({
      host: "smtp-relay.example.test",
      port: 587,
      auth: { user: "mailer", pass: "relay-password" },
      from: "no-reply@example.test",
    });
    const policy = billingPolicy({ app: "billing" }, "172.16.0.0/28", 8080, "10.60.0.3", [], 587);
    expect(policy.egress).toContainEqual({
      to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] } }],
      ports: [{ protocol: "TCP", port: 587 }],
    });
    expect(smtpEnv(undefined)).toEqual([]);
  });

  it("scales billing 2–10, keeps one pod through disruptions and serves it over HTTPS only", () => {
    expect(one("autoscaling/v2:HorizontalPodAutoscaler", "cp-billing-hpa").inputs.spec).toMatchObject({
      minReplicas: 2,
      maxReplicas: 10,
      scaleTargetRef: { kind: "Deployment", name: "billing" },
    });
    expect(
      (one("apps/v1:Deployment", "cp-billing").inputs.spec as Record<string, unknown>).replicas,
    ).toBeUndefined();
    expect(one("policy/v1:PodDisruptionBudget", "cp-billing-pdb").inputs.spec).toMatchObject({
      minAvailable: 1,
    });
    const ingress = one("networking.k8s.io/v1:Ingress", "cp-billing-ingress");
    expect((ingress.inputs.metadata as { annotations: Record<string, string> }).annotations).toMatchObject({
      "kubernetes.io/ingress.allow-http": "false",
      "kubernetes.io/ingress.global-static-ip-name": "cp-billing",
      "networking.gke.io/managed-certificates": "billing",
    });
    expect(one("networking.gke.io/v1:ManagedCertificate", "cp-billing-certificate").inputs.spec).toEqual({
      domains: ["api.example.test"],
    });
  });

  it("denies all traffic by default in both namespaces", () => {
    for (const ns of ["operator", "billing"]) {
      const policy = one("networking.k8s.io/v1:NetworkPolicy", `cp-${ns}-default-deny`);
      expect(policy.inputs.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
      expect(policy.inputs.metadata).toMatchObject({ namespace: `coditect-${ns}` });
    }
    const billing = one("networking.k8s.io/v1:NetworkPolicy", "cp-billing-allow");
    expect(JSON.stringify(billing.inputs.spec)).toContain("10.60.0.3/32");
  });

  it("refuses images that are not pinned by digest", () => {
    expect(
      () => new ControlPlane("bad", args({ operator: { ...args().operator, image: "r/p/operator:latest" } })),
    ).toThrow(/operator image must be pinned by digest/);
  });
});

describe("ControlPlane as billing runs it", () => {
  type IngressPath = { path: string; pathType: "Exact" | "Prefix"; backend: unknown };
  const ingressPathsOf = () =>
    (
      one("networking.k8s.io/v1:Ingress", "cp-billing-ingress").inputs.spec as {
        rules: { host: string; http: { paths: IngressPath[] } }[];
      }
    ).rules.flatMap((r) => r.http.paths);
  const billingEnv = () => podSpec(one("apps/v1:Deployment", "cp-billing")).containers[0]!.env;

  it("forwards only billing's public routes from the internet: not the admin API, /metrics or the probes", () => {
    const paths = ingressPathsOf();
    expect(paths.map(({ path, pathType }) => ({ path, pathType }))).toEqual([...PUBLIC_ROUTES]);
    const reachable = (p: string) => paths.some((route) => ingressPathMatches(route, p));
    for (const internal of ["/v1/admin/licenses", "/v1/admin/audit-events", "/metrics", "/readyz", "/"]) {
      expect(reachable(internal), internal).toBe(false);
    }
    for (const external of [
      "/v1/checkout",
      "/v1/checkout/success",
      "/v1/webhooks/stripe",
      "/v1/sessions/validate",
    ]) {
      expect(reachable(external), external).toBe(true);
    }
  });

  it("lets workstation containers validate: identity audience = billing's URL, accounts = the fleet's", () => {
    expect(billingEnv()).toEqual(
      expect.arrayContaining([
        { name: "WORKSTATION_IDENTITY_AUDIENCE", value: "https://api.example.test" },
        {
          name: "WORKSTATION_IDENTITY_SERVICE_ACCOUNTS",
          value: "coditect-workstation@proj-test-1.iam.gserviceaccount.com",
        },
      ]),
    );
  });

  it("sets only variables billing reads, and billing's config accepts them with the mounted files", () => {
    const env = billingEnv();
    expect(env.map((e) => e.name).filter((n) => !BILLING_ENV_VARIABLES.includes(n))).toEqual([]);
    // The secret files as the CSI volume mounts them, somewhere writable for the test.
    const dir = mkdtempSync(path.join(tmpdir(), "coditect-billing-secrets-"));
    try {
      const secretValues: Record<string, string> = {
        STRIPE_SECRET_KEY_FILE: "sk_live_x",
        STRIPE_WEBHOOK_SECRET_FILE: "whsec_x",
        ADMIN_TOKEN_FILE: "a".repeat(64),
        DATABASE_PASSWORD_FILE: "pw",
        OFFLINE_TOKEN_KEYS_FILE: "{}",
      };
      const values = Object.fromEntries(
        env.map(({ name, value }) => {
          if (!(name in secretValues)) return [name, value];
          const file = path.join(dir, name);
          writeFileSync(file, secretValues[name]!);
          return [name, file];
        }),
      );
      const config = loadConfig(values);
      expect(config.port).toBe(BILLING_PORT);
      expect(config.workstationIdentity?.serviceAccounts).toEqual([
        "coditect-workstation@proj-test-1.iam.gserviceaccount.com",
      ]);
      expect(config.databaseUrl).toContain("uselibpqcompat=true&sslmode=verify-ca");
      expect(config.admin).toMatchObject({
        emails: ["alice@coditect.example", "bob@coditect.example"],
        breakGlassToken: undefined,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gives the operator only variables it reads, which its config accepts, and probes its probe port", () => {
    type Probe = { httpGet: { path: string; port: number } };
    const container = (
      one("apps/v1:Deployment", "cp-operator").inputs.spec as {
        template: {
          spec: {
            containers: {
              env: { name: string; value?: string; valueFrom?: { fieldRef: { fieldPath: string } } }[];
              livenessProbe: Probe;
              readinessProbe: Probe;
            }[];
          };
        };
      }
    ).template.spec.containers[0]!;
    expect(container.env.map((e) => e.name).filter((n) => !OPERATOR_ENV_VARIABLES.includes(n))).toEqual([]);
    // What the kubelet resolves the downward-API fields to.
    const fields: Record<string, string> = {
      "metadata.namespace": "coditect-operator",
      "metadata.name": "operator-abc",
    };
    const env = Object.fromEntries(
      container.env.map((e) => [e.name, e.value ?? fields[e.valueFrom!.fieldRef.fieldPath]]),
    );
    const config = loadOperatorConfig(env);
    expect(config.probePort).toBe(OPERATOR_PROBE_PORT);
    expect(container.livenessProbe.httpGet).toEqual({ path: "/healthz", port: OPERATOR_PROBE_PORT });
    expect(container.readinessProbe.httpGet).toEqual({ path: "/readyz", port: OPERATOR_PROBE_PORT });
  });

  it("probes billing on the port and paths it serves", () => {
    const container = (
      one("apps/v1:Deployment", "cp-billing").inputs.spec as {
        template: { spec: { containers: Record<string, { httpGet: { path: string; port: number } }>[] } };
      }
    ).template.spec.containers[0]!;
    expect(container.livenessProbe!.httpGet).toEqual({ path: "/healthz", port: BILLING_PORT });
    expect(container.readinessProbe!.httpGet).toEqual({ path: "/readyz", port: BILLING_PORT });
    expect(billingEnv()).toContainEqual({ name: "PORT", value: String(BILLING_PORT) });
  });

  it("refuses a stack without a Stripe price id for every product, naming the missing ones", () => {
    const { starter: _s, power: _p, ...some } = args().billing.stripePriceIds;
    expect(
      () => new ControlPlane("prices", args({ billing: { ...args().billing, stripePriceIds: some } })),
    ).toThrow("missing: starter, power");
  });
});

describe("ControlPlane metrics scraping (Google Managed Prometheus)", () => {
  type Monitoring = {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace: string };
    spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[] };
  };
  type Policy = {
    podSelector: { matchLabels: Record<string, string> };
    ingress: {
      from: { namespaceSelector?: { matchLabels: Record<string, string> } }[];
      ports: { port: number }[];
    }[];
  };

  it.each([
    ["billing", "coditect-billing", "cp-billing", "cp-billing-allow"],
    ["operator", "coditect-operator", "cp-operator", "cp-operator-allow"],
  ])(
    "scrapes %s's /metrics on a port of its pods that the NetworkPolicy opens to gmp-system",
    (app, namespace, deploymentName, policyName) => {
      const monitoring = rec
        .ofType("kubernetes:monitoring.googleapis.com/v1:PodMonitoring")
        .find((r) => r.name === `cp-${app}-podmonitoring`)!.inputs as unknown as Monitoring;
      expect(monitoring).toMatchObject({
        apiVersion: "monitoring.googleapis.com/v1",
        kind: "PodMonitoring",
        metadata: { name: app, namespace },
      });
      const deployment = one("apps/v1:Deployment", deploymentName);
      const template = (
        deployment.inputs.spec as { template: { metadata: { labels: Record<string, string> } } }
      ).template;
      expect(template.metadata.labels).toMatchObject(monitoring.spec.selector.matchLabels);
      const [endpoint] = monitoring.spec.endpoints;
      expect(endpoint!.path).toBe("/metrics");
      const containerPorts = (
        podSpec(deployment).containers[0] as unknown as { ports: { name: string; containerPort: number }[] }
      ).ports;
      const port = containerPorts.find((p) => p.name === endpoint!.port);
      expect(port, `container port named ${endpoint!.port}`).toBeDefined();
      const policy = one("networking.k8s.io/v1:NetworkPolicy", policyName).inputs.spec as unknown as Policy;
      expect(template.metadata.labels).toMatchObject(policy.podSelector.matchLabels);
      const fromGmp = policy.ingress.filter((rule) =>
        rule.from.some(
          (peer) => peer.namespaceSelector?.matchLabels["kubernetes.io/metadata.name"] === "gmp-system",
        ),
      );
      expect(fromGmp.flatMap((rule) => rule.ports.map((p) => p.port))).toContain(port!.containerPort);
    },
  );

  it("keeps billing's /metrics internal: the Ingress does not forward it and billing refuses it from the load balancer", () => {
    expect(INTERNAL_ROUTE_PREFIXES).toContain("/metrics");
    const paths = (
      one("networking.k8s.io/v1:Ingress", "cp-billing-ingress").inputs.spec as {
        rules: { http: { paths: { path: string; pathType: "Exact" | "Prefix" }[] } }[];
      }
    ).rules.flatMap((r) => r.http.paths);
    expect(paths.some((route) => ingressPathMatches(route, "/metrics"))).toBe(false);
  });
});
