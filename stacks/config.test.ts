import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  decodeConfigValue,
  PROJECT_NAME,
  parseFlatConfig,
  parseStackConfig,
  readStackConfig,
  StackConfigError,
} from "./config.js";
import { assertImagesFromInternalRegistry } from "./images.js";
import { acceptOfflineStandIns } from "./placeholders.js";
import { planConfig } from "./plan/run-plan.js";
import { parseStackFile, REPO_ROOT } from "./plan/stack-file.js";

beforeEach(() => acceptOfflineStandIns(true));
afterEach(() => acceptOfflineStandIns(false));

/**
 * The prod stack file's values of our namespace plus the offline stand-ins for what a human fills in,
 * decoded the way Pulumi hands config to the program.
 */
function prodRaw(): Record<string, unknown> {
  return decoded(planConfig("prod").config);
}

function decoded(config: Record<string, string>): Record<string, unknown> {
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
    expect(cfg.controlPlane.billingHost).toBe("billing.coditect.ai");
    expect(cfg.build.githubRefs).toEqual(["refs/tags/v*"]);
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
    const { config } = planConfig("prod");
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

  it("wants the workstation image from its own repository, not the control plane's (issue 13 L6)", () => {
    const cfg = parseStackConfig(prodRaw(), "prod");
    cfg.workstations.image = `us-central1-docker.pkg.dev/coditect-citus-prod/coditect-platform/coditect-workstation@sha256:${"a".repeat(64)}`;
    expect(() => assertImagesFromInternalRegistry(cfg)).toThrow(
      /workstations\.image is .*coditect-platform.*, not under us-central1-docker\.pkg\.dev\/coditect-citus-prod\/coditect-workstation-images\//,
    );
    cfg.workstations.image = `us-central1-docker.pkg.dev/coditect-citus-prod/coditect-workstation-images/coditect-workstation@sha256:${"a".repeat(64)}`;
    expect(() => assertImagesFromInternalRegistry(cfg)).not.toThrow();
  });
});

describe("what a human must fill in (C2)", () => {
  const committed = () =>
    parseStackFile(readFileSync(path.join(REPO_ROOT, "Pulumi.prod.yaml"), "utf8"), "Pulumi.prod.yaml").config;

  it("refuses the committed prod file as it stands, naming every value left to a human", () => {
    acceptOfflineStandIns(false);
    const keys = (() => {
      try {
        parseFlatConfig(committed(), "prod");
      } catch (err) {
        return (err as StackConfigError).problems.map((p) => p.key);
      }
      return [];
    })();
    expect(keys).toEqual(
      expect.arrayContaining([
        "coditect-control-plane:workstations.image",
        "coditect-control-plane:controlPlane.operatorImage",
        "coditect-control-plane:controlPlane.billingImage",
        "coditect-control-plane:controlPlane.stripePriceIds",
      ]),
    );
  });

  it("refuses the placeholder digests and made-up price ids the stack file used to hold", () => {
    const raw = prodRaw() as {
      workstations: Record<string, unknown>;
      controlPlane: Record<string, unknown> & { stripePriceIds: Record<string, string> };
    };
    raw.controlPlane.billingImage =
      "us-central1-docker.pkg.dev/coditect-citus-prod/coditect-platform/billing@sha256:1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3";
    raw.workstations.image = `us-central1-docker.pkg.dev/coditect-citus-prod/coditect-workstation-images/coditect-workstation@sha256:${"0".repeat(64)}`;
    raw.controlPlane.stripePriceIds.pro = "price_coditect_pro_monthly";
    expect(problemsOf(raw)).toEqual([
      { key: "coditect-control-plane:workstations.image", message: expect.stringMatching(/made-up digest/) },
      {
        key: "coditect-control-plane:controlPlane.billingImage",
        message: expect.stringMatching(/placeholder digest/),
      },
      {
        key: "coditect-control-plane:controlPlane.stripePriceIds.pro",
        message: expect.stringMatching(/made-up price id.*Stripe dashboard/),
      },
    ]);
  });

  it("refuses the offline stand-ins outside the offline plan", () => {
    const raw = prodRaw();
    acceptOfflineStandIns(false);
    const problems = problemsOf(raw);
    expect(problems.map((p) => p.key)).toContain("coditect-control-plane:controlPlane.billingImage");
    expect(problems.map((p) => p.key)).toContain("coditect-control-plane:controlPlane.stripePriceIds.ai");
    expect(problems[0]!.message).toMatch(/offline stand-in/);
  });
});

describe("hosts, retired keys and adopted resources", () => {
  it("refuses api.coditect.ai (the seeds' production API) with the reason", () => {
    const raw = prodRaw() as { controlPlane: Record<string, unknown> };
    raw.controlPlane.billingHost = "api.coditect.ai";
    expect(problemsOf(raw)).toEqual([
      {
        key: "coditect-control-plane:controlPlane.billingHost",
        message: expect.stringMatching(/seeds' existing production API host.*billing\.coditect\.ai/),
      },
    ]);
    delete raw.controlPlane.billingHost;
    expect(parseStackConfig(raw).controlPlane.billingHost).toBe("billing.coditect.ai");
  });

  it("says what replaced gcpProjectNumber and build.githubRef", () => {
    const raw = prodRaw() as Record<string, unknown> & { build: Record<string, unknown> };
    raw.gcpProjectNumber = "374018874256";
    raw.build.githubRef = "refs/heads/main";
    expect(problemsOf(raw)).toEqual([
      { key: "coditect-control-plane:build.githubRef", message: expect.stringMatching(/build\.githubRefs/) },
      {
        key: "coditect-control-plane:gcpProjectNumber",
        message: expect.stringMatching(/derives the project number/),
      },
    ]);
  });

  it("requires an adopted id to name the resource the stack declares", () => {
    const raw = prodRaw() as { adopt: Record<string, string> };
    raw.adopt.workstationCluster =
      "projects/coditect-citus-prod/locations/us-central1/workstationClusters/other";
    expect(problemsOf(raw)).toEqual([
      {
        key: "coditect-control-plane:adopt.workstationCluster",
        message: expect.stringMatching(/declares projects\/coditect-citus-prod\/.*\/coditect-ws-cluster/),
      },
    ]);
  });
});

describe("deployPhase", () => {
  it("lets the infrastructure phase run without release values, and names them when deploying all", () => {
    acceptOfflineStandIns(false);
    const raw = decoded(
      parseStackFile(readFileSync(path.join(REPO_ROOT, "Pulumi.prod.yaml"), "utf8"), "Pulumi.prod.yaml")
        .config,
    );
    expect(
      parseStackConfig({ ...raw, deployPhase: "infrastructure" }).controlPlane.billingImage,
    ).toBeUndefined();
    const problems = problemsOf(raw);
    expect(
      problems.find((p) => p.key === "coditect-control-plane:controlPlane.billingImage")?.message,
    ).toMatch(/required but not set.*deployPhase: infrastructure/);
  });
});
