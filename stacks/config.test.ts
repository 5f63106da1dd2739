import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  decodeConfigValue,
  PROJECT_NAME,
  parseFlatConfig,
  parseStackConfig,
  readStackConfig,
  StackConfigError,
} from "./config.js";
import { assertImagesFromInternalRegistry } from "./images.js";
import { parseStackFile, REPO_ROOT } from "./plan/stack-file.js";

/** The prod stack file's values of our namespace, decoded the way Pulumi hands config to the program. */
function prodRaw(): Record<string, unknown> {
  const { config } = parseStackFile(
    readFileSync(path.join(REPO_ROOT, "Pulumi.prod.yaml"), "utf8"),
    "Pulumi.prod.yaml",
  );
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (key.startsWith(`${PROJECT_NAME}:`))
      raw[key.slice(PROJECT_NAME.length + 1)] = decodeConfigValue(value);
  }
  return raw;
}

function problemsOf(raw: Record<string, unknown>): { key: string; message: string }[] {
  try {
    parseStackConfig(raw, "test");
  } catch (err) {
    if (err instanceof StackConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected the config to be rejected");
}

describe("parseStackConfig", () => {
  it("accepts the committed prod configuration", () => {
    const cfg = parseStackConfig(prodRaw(), "prod");
    expect(cfg.gcpProject).toBe("coditect-citus-prod");
    expect(cfg.gcpProjectNumber).toBe("374018874256");
    expect(cfg.registry.repositories).toEqual({ pro: "coditect-images", enterprise: "coditect-enterprise" });
    expect(cfg.workstations.tiers.standard).toMatchObject({
      machineType: "e2-standard-4",
      homeDiskSizeGb: 100,
    });
    expect(cfg.workstations.idleTimeoutSeconds).toBe(1800);
    expect(cfg.workstations.runningTimeoutSeconds).toBe(43_200);
    expect(cfg.database.highAvailability).toBe(true);
  });

  it("names a missing key with the project namespace", () => {
    const raw = prodRaw();
    delete raw.region;
    expect(problemsOf(raw)).toEqual([
      { key: "coditect-control-plane:region", message: "is required but not set" },
    ]);
  });

  it("names the nested key of an invalid value", () => {
    const raw = prodRaw() as { network: Record<string, unknown> };
    raw.network.gkePodsCidr = "10.20.0.0/33x";
    const problems = problemsOf(raw);
    expect(problems.map((p) => p.key)).toEqual(["coditect-control-plane:network.gkePodsCidr"]);
    expect(problems[0]!.message).toMatch(/CIDR/);
  });

  it("rejects image references that are not pinned by digest", () => {
    const raw = prodRaw() as { controlPlane: Record<string, unknown> };
    raw.controlPlane.billingImage = "us-central1-docker.pkg.dev/p/coditect-platform/billing:latest";
    expect(problemsOf(raw)).toEqual([
      {
        key: "coditect-control-plane:controlPlane.billingImage",
        message: expect.stringMatching(/pinned by digest/),
      },
    ]);
  });

  it("requires a Stripe price id for every product billing sells", () => {
    const raw = prodRaw() as { controlPlane: { stripePriceIds: Record<string, string> } };
    delete raw.controlPlane.stripePriceIds.power;
    raw.controlPlane.stripePriceIds.ai = "prod_123";
    expect(problemsOf(raw)).toEqual([
      { key: "coditect-control-plane:controlPlane.stripePriceIds.power", message: "is required but not set" },
      {
        key: "coditect-control-plane:controlPlane.stripePriceIds.ai",
        message: expect.stringMatching(/price_/),
      },
    ]);
  });

  it("rejects unknown keys at the top level and inside objects", () => {
    const raw = prodRaw() as Record<string, unknown> & { database: Record<string, unknown> };
    raw.databse = {};
    raw.database.publicIp = true;
    const keys = problemsOf(raw).map((p) => p.key);
    expect(keys).toContain("coditect-control-plane:databse");
    expect(keys).toContain("coditect-control-plane:database.publicIp");
  });

  it("requires the running timeout to exceed the idle timeout", () => {
    const raw = prodRaw() as { workstations: Record<string, unknown> };
    raw.workstations.runningTimeoutSeconds = 3600;
    raw.workstations.idleTimeoutSeconds = 7200;
    expect(problemsOf(raw)).toEqual([
      {
        key: "coditect-control-plane:workstations.runningTimeoutSeconds",
        message: expect.stringMatching(/longer/),
      },
    ]);
  });

  it("requires high availability in the prod environment only", () => {
    const raw = prodRaw() as { environment: string; database: Record<string, unknown> };
    raw.database.highAvailability = false;
    expect(problemsOf(raw).map((p) => p.key)).toEqual(["coditect-control-plane:database.highAvailability"]);
    raw.environment = "staging";
    expect(parseStackConfig(raw).database.highAvailability).toBe(false);
  });

  it("lists every problem in one error message with a hint", () => {
    const raw = prodRaw();
    delete raw.region;
    delete raw.gcpProject;
    expect(() => parseStackConfig(raw, "prod")).toThrow(
      /coditect-control-plane:gcpProject: is required[\s\S]*coditect-control-plane:region: is required[\s\S]*Pulumi\.prod\.yaml/,
    );
  });
});

describe("parseFlatConfig", () => {
  it("reads only our namespace from a stack file's flat map", () => {
    const { config } = parseStackFile(
      readFileSync(path.join(REPO_ROOT, "Pulumi.prod.yaml"), "utf8"),
      "Pulumi.prod.yaml",
    );
    expect(config["gcp:project"]).toBe("coditect-citus-prod");
    expect(parseFlatConfig(config, "prod").region).toBe("us-central1");
    expect(() => parseFlatConfig({ ...config, "coditect-control-plane:region": "Mars" }, "prod")).toThrow(
      /coditect-control-plane:region: must be a region/,
    );
  });
});

describe("readStackConfig", () => {
  it("reads each top-level key through the getter and reports unset ones", () => {
    const values: Record<string, string> = {};
    for (const [key, value] of Object.entries(prodRaw())) {
      values[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
    expect(readStackConfig((key) => values[key], "prod").workstations.clusterId).toBe("coditect-ws-cluster");
    delete values.gke;
    expect(() => readStackConfig((key) => values[key], "prod")).toThrow(
      /coditect-control-plane:gke: is required/,
    );
  });
});

describe("decodeConfigValue", () => {
  it("parses objects and lists but keeps numeric-looking strings as strings", () => {
    expect(decodeConfigValue('{"a":1}')).toEqual({ a: 1 });
    expect(decodeConfigValue("[1,2]")).toEqual([1, 2]);
    expect(decodeConfigValue("374018874256")).toBe("374018874256");
    expect(decodeConfigValue("{not json")).toBe("{not json");
  });
});

describe("assertImagesFromInternalRegistry", () => {
  it("accepts the prod images and names the key of an image from elsewhere", () => {
    const cfg = parseStackConfig(prodRaw(), "prod");
    expect(() => assertImagesFromInternalRegistry(cfg)).not.toThrow();
    cfg.controlPlane.operatorImage = `docker.io/library/operator@sha256:${"a".repeat(64)}`;
    expect(() => assertImagesFromInternalRegistry(cfg)).toThrow(/controlPlane\.operatorImage is docker\.io/);
  });
});
