import { describe, expect, it } from "vitest";
import type { PlanDocument } from "../stacks/plan/format.js";
import { checkEnv, type EnvRead } from "./env-check.js";
import { checkIngress, isRouted } from "./ingress-check.js";
import { describeOverrides, envOverrides, withDatabaseHost } from "./overrides.js";
import { planPod, SERVICE_ACCOUNT_DIR } from "./pod-spec.js";
import { explainMissing, firstError, missingFiles } from "./pods.js";
import { type KubeManifest, RenderError, renderStack, secretProviderPaths } from "./render.js";
import {
  agentSchemaVariables,
  checkWorkstationEnv,
  shellVariables,
  workstationContainerEnv,
} from "./workstation-env.js";

const read = (name: string, origin: EnvRead["origin"] = "app", present = false): EnvRead => ({
  name,
  how: "read",
  present,
  origin,
  frame: "/app/x.mjs:1",
});

describe("checkEnv", () => {
  const base = {
    service: "operator" as const,
    manifestEnv: ["LOG_LEVEL"],
    runtimeEnv: ["HOSTNAME"],
    overrideEnv: ["WORKSTATIONS_ENDPOINT"],
    bundleText: "const x = env.LOG_LEVEL;",
    allow: [{ service: "operator" as const, variable: "OPERATOR_WORKERS", reason: "default" }],
    declared: ["LOG_LEVEL", "WORKSTATIONS_ENDPOINT", "OPERATOR_WORKERS"],
  };
  it("accepts reads of set, runtime, override and allow-listed variables, and library reads", () => {
    const reads = ["LOG_LEVEL", "HOSTNAME", "WORKSTATIONS_ENDPOINT", "OPERATOR_WORKERS"].map((n) => read(n));
    expect(checkEnv({ ...base, reads: [...reads, read("GRPC_TRACE", "dependency")] })).toEqual([]);
  });
  it("names a variable the code reads and nobody sets", () => {
    expect(checkEnv({ ...base, reads: [read("LOG_LEVEL"), read("OPERATOR_RELIST_MS")] })).toEqual([
      expect.stringMatching(
        /^operator reads OPERATOR_RELIST_MS \(\/app\/x.mjs:1\) but its Deployment does not set it/,
      ),
    ]);
  });
  it("names a variable the manifest sets and the code never reads nor names", () => {
    const problems = checkEnv({
      ...base,
      manifestEnv: ["LOG_LEVEL", "LOG_LEVLE"],
      reads: [read("LOG_LEVEL")],
    });
    expect(problems).toEqual([expect.stringMatching(/sets LOG_LEVLE but the code never reads it/)]);
  });
  it("names a declared variable nobody sets even when no read of it was seen (reads through a copy of env)", () => {
    const problems = checkEnv({ ...base, declared: [...base.declared, "OPERATOR_GRACE_SECONDS"], reads: [] });
    expect(problems).toEqual([
      expect.stringMatching(
        /^operator declares OPERATOR_GRACE_SECONDS among the variables it reads but its Deployment does not set it/,
      ),
    ]);
    // Once read at run time, the variable is reported once, as a read.
    const both = checkEnv({ ...base, declared: ["OPERATOR_RELIST_MS"], reads: [read("OPERATOR_RELIST_MS")] });
    expect(both).toHaveLength(1);
  });
  it("counts a variable named in the bundle as read (a service may read a copy of its env)", () => {
    expect(checkEnv({ ...base, reads: [] })).toEqual([]);
    const bundleText = ["const v = env[`STRIPE_PRICE_$", "{p.toUpperCase()}`];"].join("");
    const copyOnly = { ...base, declared: [], bundleText, reads: [] };
    expect(checkEnv({ ...copyOnly, manifestEnv: ["STRIPE_PRICE_PRO"] })).toEqual([]);
    expect(checkEnv({ ...copyOnly, manifestEnv: ["STRIPE_PRIZE_PRO"] })).toHaveLength(1);
  });
});

describe("checkIngress", () => {
  const ingress = (paths: { path: string; pathType: string }[]): KubeManifest => ({
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name: "billing", namespace: "coditect-billing" },
    spec: {
      rules: [
        {
          host: "h",
          http: {
            paths: paths.map((p) => ({
              ...p,
              backend: { service: { name: "billing", port: { number: 80 } } },
            })),
          },
        },
      ],
    },
  });
  it("flags admin and metrics routed through a catch-all prefix", () => {
    const problems = checkIngress([ingress([{ path: "/", pathType: "Prefix" }])]);
    expect(problems).toHaveLength(5);
    expect(problems[2]).toMatch(/routes \/metrics \(via Prefix "\/" → billing:80\)/);
  });
  it("accepts public routes only and matches whole path elements", () => {
    const paths = [
      { path: "/v1/checkout", pathType: "Prefix" },
      { path: "/v1/sessions", pathType: "Prefix" },
    ];
    expect(checkIngress([ingress(paths)], ["/v1/checkout/success", "/v1/sessions/validate"])).toEqual([]);
    expect(
      isRouted([{ path: "/v1/check", pathType: "Prefix", service: "b", port: 80 }], "/v1/checkout"),
    ).toBeUndefined();
  });
});

describe("workstation env", () => {
  const readByImage = new Set([
    ...shellVariables([': "$', '{CODITECT_LICENSE_SERVER:=https://x}"\necho $CODITECT_NODE'].join("")),
    ...agentSchemaVariables("const s = z.object({\n    CODITECT_LICENSE_KEY: z.string(),\n});"),
  ]);
  it("reads the variables from the entrypoint and the agent schema", () => {
    expect([...readByImage].sort()).toEqual([
      "CODITECT_LICENSE_KEY",
      "CODITECT_LICENSE_SERVER",
      "CODITECT_NODE",
    ]);
  });
  it("fails on the old CODITECT_API_URL and on a missing CODITECT_LICENSE_SERVER", () => {
    const problems = checkWorkstationEnv(
      { "coditect-standard": { CODITECT_API_URL: "https://api" } },
      readByImage,
    );
    expect(problems).toEqual([
      expect.stringMatching(/^WorkstationConfig coditect-standard sets CODITECT_API_URL, which neither/),
      expect.stringMatching(/coditect-standard does not set CODITECT_LICENSE_SERVER/),
      expect.stringMatching(/coditect-standard does not set CLOUD_WORKSTATIONS_CONFIG_DISABLE_SUDO/),
    ]);
    expect(
      checkWorkstationEnv(
        { a: { CODITECT_LICENSE_SERVER: "https://l", CLOUD_WORKSTATIONS_CONFIG_DISABLE_SUDO: "true" } },
        readByImage,
      ),
    ).toEqual([]);
  });
  it("accepts only the named platform variables without a reader, and requires sudo to be disabled", () => {
    expect(checkWorkstationEnv({ a: { CODITECT_LICENSE_SERVER: "https://l" } }, readByImage)).toEqual([
      expect.stringMatching(/^WorkstationConfig a does not set CLOUD_WORKSTATIONS_CONFIG_DISABLE_SUDO/),
    ]);
    expect(
      checkWorkstationEnv(
        {
          a: {
            CODITECT_LICENSE_SERVER: "https://l",
            CLOUD_WORKSTATIONS_CONFIG_DISABLE_SUDO: "true",
            CLOUD_WORKSTATIONS_SOMETHING_ELSE: "1",
          },
        },
        readByImage,
      ),
    ).toEqual([expect.stringMatching(/sets CLOUD_WORKSTATIONS_SOMETHING_ELSE, which neither/)]);
  });
});

describe("workstationContainerEnv", () => {
  it("is the rendered env with the license server pointed at the billing under test", () => {
    expect(
      workstationContainerEnv(
        { k: { CODITECT_LICENSE_SERVER: "https://lic", OTHER: "1" } },
        "k",
        "http://127.0.0.1:1",
      ),
    ).toEqual({ CODITECT_LICENSE_SERVER: "http://127.0.0.1:1", OTHER: "1" });
  });
  it("refuses a rendered env that sets the old CODITECT_API_URL instead", () => {
    expect(() =>
      workstationContainerEnv({ k: { CODITECT_API_URL: "https://api" } }, "k", "http://x"),
    ).toThrow(/WorkstationConfig k does not set CODITECT_LICENSE_SERVER.*\(it sets: CODITECT_API_URL\)/);
  });
});

describe("overrides", () => {
  it("change only the database host and port, keeping the TLS mode and CA path", () => {
    expect(
      withDatabaseHost(
        "postgres://billing@10.60.0.3:5432/billing?sslmode=verify-ca&sslrootcert=/etc/ca.pem",
        "127.0.0.1",
        6543,
      ),
    ).toBe("postgres://billing@127.0.0.1:6543/billing?sslmode=verify-ca&sslrootcert=/etc/ca.pem");
  });
});

const deployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "operator", namespace: "coditect-operator" },
  spec: {
    template: {
      spec: {
        serviceAccountName: "operator",
        securityContext: { runAsUser: 65532, runAsGroup: 65532 },
        containers: [
          {
            name: "operator",
            image: "x",
            env: [
              { name: "LOG_LEVEL", value: "info" },
              { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
              { name: "OPERATOR_PROBE_PORT", value: "8081" },
            ],
            securityContext: { readOnlyRootFilesystem: true },
            volumeMounts: [
              { name: "tmp", mountPath: "/tmp" },
              { name: "secrets", mountPath: "/etc/s" },
            ],
          },
        ],
        volumes: [
          { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
          {
            name: "secrets",
            csi: { driver: "secrets-store-gke.csi.k8s.io", volumeAttributes: { secretProviderClass: "spc" } },
          },
        ],
      },
    },
  },
};
const spc: KubeManifest = {
  apiVersion: "secrets-store.csi.x-k8s.io/v1",
  kind: "SecretProviderClass",
  metadata: { name: "spc", namespace: "coditect-operator" },
  spec: { parameters: { secrets: '- resourceName: "projects/p/secrets/a/versions/latest"\n  path: "a"\n' } },
};

describe("planPod", () => {
  const doc: PlanDocument = {
    project: "p",
    stack: "s",
    resources: [deployment, spc].map((inputs, i) => ({
      urn: `u${i}`,
      type: `kubernetes:x:${inputs.kind}`,
      name: inputs.metadata.name,
      parent: null,
      inputs: inputs as unknown as Record<string, unknown>,
      dependencies: [],
    })),
  };
  const rendered = renderStack(doc);
  const ctx = {
    service: "operator" as const,
    deployment: rendered.deployments[0]!,
    rendered,
    podName: "operator-abc",
    secretFiles: { spc: { a: "secret-a" } },
    serviceAccountToken: "tok",
    kubeApi: { host: "127.0.0.1", port: 6443, caPem: "CA" },
    imageEnv: { NODE_ENV: "production" },
    overrides: envOverrides(rendered, {
      stripeApiUrl: "http://s",
      workstationsEndpoint: "127.0.0.1:1",
      database: { host: "127.0.0.1", port: 2 },
      ports: { billing: {}, operator: { 8081: 18081 } },
      licenseServerUrl: "http://b",
    }),
    image: { nodeBinary: "/host/bin/node", bundleDir: "/b", bundleFile: "operator.mjs", nodeModules: "/nm" },
  };
  it("gives the process the rendered env, fieldRefs, the overrides, its user and every volume at its path", () => {
    const { pod, manifestEnv, overrideEnv } = planPod(ctx);
    // node runs from where the image keeps it, bind-mounted from the host (no host path inside the pod).
    expect(pod.argv).toEqual(["/nodejs/bin/node", "operator.mjs"]);
    expect(pod.mounts).toContainEqual({
      kind: "bind",
      path: "/nodejs/bin",
      source: "/host/bin",
      readOnly: true,
    });
    expect(pod.workingDir).toBe("/app");
    expect(pod.user).toEqual({ uid: 65532, gid: 65532 });
    expect(pod.readOnlyRootFilesystem).toBe(true);
    expect(pod.env).toMatchObject({
      LOG_LEVEL: "info",
      POD_NAME: "operator-abc",
      OPERATOR_PROBE_PORT: "18081",
      WORKSTATIONS_INSECURE: "true",
      KUBERNETES_SERVICE_HOST: "127.0.0.1",
      KUBERNETES_SERVICE_PORT: "6443",
      NODE_ENV: "production",
    });
    expect(manifestEnv).toEqual(["LOG_LEVEL", "POD_NAME", "OPERATOR_PROBE_PORT"]);
    expect(overrideEnv).toContain("WORKSTATIONS_ENDPOINT");
    expect(pod.mounts).toContainEqual({ kind: "tmpfs", path: "/tmp", sizeLimit: "64Mi" });
    expect(pod.mounts).toContainEqual({ kind: "files", path: "/etc/s", files: { a: "secret-a" } });
    expect(pod.mounts).toContainEqual({
      kind: "files",
      path: SERVICE_ACCOUNT_DIR,
      files: { token: "tok", "ca.crt": "CA", namespace: "coditect-operator" },
    });
  });
  it("refuses a secret file the rehearsal generated no value for", () => {
    expect(() => planPod({ ...ctx, secretFiles: {} })).toThrow(
      /no generated value for projects\/p\/secrets\/a\/versions\/latest/,
    );
  });
  it("prints every override with its reason", () => {
    expect(describeOverrides(ctx.overrides)).toMatch(
      /operator OPERATOR_PROBE_PORT: 8081 → 18081\n\s+listen port remapped/,
    );
  });
});

describe("render", () => {
  it("refuses unknowns and secrets inside manifests, naming the path", () => {
    const doc = (value: string): PlanDocument => ({
      project: "p",
      stack: "s",
      resources: [
        {
          urn: "u",
          type: "kubernetes:core/v1:ConfigMap",
          name: "c",
          parent: null,
          inputs: {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "c", namespace: "n" },
            data: { k: value },
          },
          dependencies: [],
        },
      ],
    });
    expect(() => renderStack(doc("[unknown]"))).toThrow(/ConfigMap n\/c\.data\.k is not known offline/);
    expect(() => renderStack(doc("[secret]"))).toThrow(RenderError);
  });
  it("reads the SecretProviderClass file names", () => {
    expect(secretProviderPaths(spc)).toEqual([
      { resourceName: "projects/p/secrets/a/versions/latest", path: "a" },
    ]);
  });
});

describe("failure explanations", () => {
  it("finds the missing paths in a crash log and says whether a volume should have held them", () => {
    const log =
      "invalid billing configuration: STRIPE_SECRET_KEY_FILE=/etc/coditect/secrets/k cannot be read (ENOENT)\n  path: '/migrations'";
    expect(missingFiles(log).sort()).toEqual(["/etc/coditect/secrets/k", "/migrations"]);
    expect(explainMissing("billing", "/etc/coditect/secrets/k", ["/etc/coditect/secrets"])).toMatch(
      /the volume mounted at \/etc\/coditect\/secrets has no such file/,
    );
    expect(firstError("x\nError [ERR_X]: boom\n  at y")).toBe("Error [ERR_X]: boom");
  });
});
