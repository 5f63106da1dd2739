/**
 * The stack configuration: one zod schema, read and validated in one place. `parseStackConfig` is pure
 * (tested without Pulumi); the entry point (index.ts) hands `readStackConfig` a getter over `pulumi.Config`.
 * Every error names the configuration key (e.g. `coditect-control-plane:workstations.tiers.ai.machineType`)
 * so `pulumi up` and `npm run plan` fail with a message ops can act on.
 */
import { z } from "zod";
import { PRODUCT_NAMES } from "../billing/config.js";
import { WORKSTATION_TIER_NAMES } from "../lib/domain.js";
import { placeholderProblems } from "./placeholders.js";

/** The Pulumi project name; config keys are namespaced with it. */
export const PROJECT_NAME = "coditect-control-plane";

/** The OAuth client of the gcloud CLI: the audience of `gcloud auth print-identity-token` for a user. */
export const GCLOUD_CLIENT_ID = "32555940559.apps.googleusercontent.com";

/** Billing's own customer API host unless a stack sets `controlPlane.billingHost` (ADR 0104). */
export const DEFAULT_BILLING_HOST = "billing.coditect.ai";
/** Hosts billing must never take: the seeds' production API runs there today. */
export const RESERVED_HOSTS: Record<string, string> = {
  "api.coditect.ai":
    "is the seeds' existing production API host; pointing its DNS at billing would take it over. " +
    `Use a host of billing's own (default ${DEFAULT_BILLING_HOST}); see docs/operations.md, "Hosts"`,
};

const digestRef = z
  .string()
  .regex(
    /^[a-z0-9.-]+(?::[0-9]+)?\/[a-z0-9._/-]+@sha256:[a-f0-9]{64}$/,
    "must be an image reference pinned by digest: <registry>/<path>@sha256:<64 hex>",
  );
const cidr = z
  .string()
  .regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, "must be an IPv4 CIDR such as 10.10.0.0/20")
  .refine(
    (v) =>
      v
        .split("/")[0]!
        .split(".")
        .every((o) => Number(o) <= 255),
    "has an octet above 255",
  );
const resourceId = z
  .string()
  .regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be lower-case letters, digits and dashes (RFC 1035)");

const tierHostSchema = z.strictObject({
  /** Compute Engine machine type for the workstation VM, e.g. e2-standard-4. */
  machineType: z.string().regex(/^[a-z0-9]+-[a-z0-9-]+$/, "must be a machine type such as e2-standard-4"),
  bootDiskSizeGb: z.number().int().min(30).max(500),
  /** Size of the persistent home disk (the seeds: 100 GB for standard). */
  homeDiskSizeGb: z.number().int().min(10).max(10_000),
  homeDiskType: z.enum(["pd-standard", "pd-balanced", "pd-ssd"]),
  /** GPU attached to the VM; only the ai tier has one. */
  accelerator: z.strictObject({ type: z.string().min(1), count: z.number().int().min(1).max(8) }).optional(),
  /** Warm pool of pre-started VMs. */
  poolSize: z.number().int().min(0).max(50).default(0),
});

const importId = (pattern: RegExp, example: string) =>
  z.string().regex(pattern, `must be a full resource id such as ${example}`);

/** Resources that already exist in the project and are adopted (`import`) instead of created (ADR 0103). */
const adoptSchema = z
  .strictObject({
    signingKeyRing: importId(
      /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+$/,
      "projects/<p>/locations/<region>/keyRings/<ring>",
    ).optional(),
    signingKey: importId(
      /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/,
      "projects/<p>/locations/<region>/keyRings/<ring>/cryptoKeys/<key>",
    ).optional(),
    workstationCluster: importId(
      /^projects\/[^/]+\/locations\/[^/]+\/workstationClusters\/[^/]+$/,
      "projects/<p>/locations/<region>/workstationClusters/<id>",
    ).optional(),
  })
  .default({});

export const stackConfigSchema = z
  .strictObject({
    gcpProject: z.string().regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, "must be a GCP project id"),
    region: z.string().regex(/^[a-z]+-[a-z]+[0-9]+$/, "must be a region such as us-central1"),
    /** Production turns on high availability and stricter defaults. */
    environment: z.enum(["prod", "staging", "dev"]),
    network: z.strictObject({
      gkeNodesCidr: cidr,
      gkePodsCidr: cidr,
      gkeServicesCidr: cidr,
      gkeMasterCidr: cidr.refine((v) => v.endsWith("/28"), "GKE requires a /28 for the control plane"),
      workstationsCidr: cidr,
      /** Prefix length of the range reserved for private services access (Cloud SQL). */
      privateServicesPrefixLength: z.number().int().min(8).max(24),
    }),
    registry: z.strictObject({
      /** Repository id per license tier that gets images (Starter gets none, seed-notes C7). */
      repositories: z.strictObject({ pro: resourceId, enterprise: resourceId }),
      /** Delete untagged image versions older than this. */
      untaggedRetentionDays: z.number().int().min(1).max(365),
      /** Always keep this many most recent versions per package. */
      keepRecentVersions: z.number().int().min(1).max(1000),
    }),
    signing: z.strictObject({
      keyRingName: resourceId,
      keyName: resourceId,
      algorithm: z.enum(["EC_SIGN_P384_SHA384", "EC_SIGN_P256_SHA256"]),
      protectionLevel: z.enum(["HSM", "SOFTWARE"]),
      /** The key version images are signed with now; the verify URI is pinned to it (seed-notes D2). */
      activeVersion: z.number().int().min(1),
    }),
    build: z.strictObject({
      /** `owner/repo` whose GitHub Actions workflows may impersonate the image builder. */
      githubRepository: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, "must be owner/repo"),
      /**
       * Git refs whose workflows may push and sign (ADR 0108): prod admits release tags (`refs/tags/v*`;
       * a trailing `*` is a prefix). Releases run on tags and push digests plus immutable version tags.
       */
      githubRefs: z
        .array(
          z
            .string()
            .regex(
              /^refs\/(heads|tags)\/[^*"\\]+\*?$/,
              "must be a full git ref such as refs/tags/v* (a trailing * is a prefix)",
            ),
        )
        .min(1),
    }),
    /**
     * `infrastructure`: the first phase of a first deploy (docs/operations.md): everything but the
     * workstation configs and the control plane, so the registry and the CI identity exist before the
     * first release pushes the images whose digests phase two needs. Default `all`.
     */
    deployPhase: z.enum(["infrastructure", "all"]).default("all"),
    /** Existing resources to adopt instead of create (fresh project: leave unset). */
    adopt: adoptSchema,
    workstations: z.strictObject({
      clusterId: resourceId,
      /** The licensed workstation image, pinned by digest, from our registry. */
      image: digestRef.optional(),
      idleTimeoutSeconds: z.number().int().min(300).max(86_400),
      runningTimeoutSeconds: z.number().int().min(3_600).max(86_400),
      tiers: z.strictObject({ standard: tierHostSchema, power: tierHostSchema, ai: tierHostSchema }),
    }),
    gke: z.strictObject({
      clusterName: resourceId,
      releaseChannel: z.enum(["RAPID", "REGULAR", "STABLE"]),
      nodeMachineType: z.string().min(1),
      minNodesPerZone: z.number().int().min(1).max(20),
      maxNodesPerZone: z.number().int().min(1).max(50),
      /** CIDRs allowed to reach the private control-plane endpoint (ops VPN / bastion). */
      masterAuthorizedCidrs: z.array(cidr).min(1),
    }),
    database: z.strictObject({
      instanceName: resourceId,
      postgresVersion: z.enum(["POSTGRES_15", "POSTGRES_16", "POSTGRES_17"]),
      tier: z.string().regex(/^db-[a-z0-9-]+$/, "must be a Cloud SQL tier such as db-custom-2-7680"),
      diskSizeGb: z.number().int().min(10).max(65_536),
      highAvailability: z.boolean(),
      backupRetentionDays: z.number().int().min(7).max(365),
    }),
    controlPlane: z.strictObject({
      operatorImage: digestRef.optional(),
      billingImage: digestRef.optional(),
      /**
       * Public host name of billing's customer API. Not api.coditect.ai: that is the seeds' existing
       * production API, and pointing its DNS at billing would take it over (ADR 0104).
       */
      billingHost: z
        .string()
        .regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, "must be a DNS host name")
        .default(DEFAULT_BILLING_HOST),
      /**
       * Billing's admins (ADR 0165): Google accounts on an allow-list, proven by a Google ID token (default
       * audience: gcloud's OAuth client, what `gcloud auth print-identity-token` mints) or IAP's header.
       * `breakGlass: true` mounts and accepts the shared token: the break-glass procedure only.
       */
      admins: z.strictObject({
        emails: z
          .array(z.email({ message: "must be an email address" }))
          .min(1, "needs at least one admin's Google account"),
        idTokenAudiences: z.array(z.string().min(1)).default([GCLOUD_CLIENT_ID]),
        iapAudience: z
          .string()
          .regex(
            /^\/projects\/\d+\/global\/backendServices\/[\w-]+$/,
            "must be /projects/<number>/global/backendServices/<id>",
          )
          .optional(),
        breakGlass: z.boolean().default(false),
      }),
      /**
       * The SMTP relay billing mails notifications through (ADR 0210). `user` only when the relay wants SMTP
       * AUTH: its password is then the `smtp-password` secret (Secret Manager, never in Pulumi state).
       * Absent: nothing is mailed; messages stay queued in the outbox.
       */
      smtp: z
        .strictObject({
          host: z.string().regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, "must be a DNS host name"),
          port: z.number().int().min(1).max(65535).default(587),
          from: z.email({ message: "must be an email address" }),
          user: z.string().min(1).optional(),
        })
        .optional(),
      /**
       * The OAuth client id (Google Cloud console, "Web application") customers' "Sign in with Google"
       * tokens are issued to (ADR 0220). Absent: customers sign in with email links only.
       */
      accountGoogleClientId: z
        .string()
        .regex(
          /^[\w.-]+\.apps\.googleusercontent\.com$/,
          "must be an OAuth client id (….apps.googleusercontent.com)",
        )
        .optional(),
      billingMinReplicas: z.number().int().min(2),
      billingMaxReplicas: z.number().int().max(50),
      /** Live Stripe price id per product billing sells (not secret; billing's defaults only fit the fake). */
      stripePriceIds: z
        .strictObject(
          Object.fromEntries(
            PRODUCT_NAMES.map((p) => [
              p,
              z.string().regex(/^price_\w+$/, "must be a Stripe price id (price_…)"),
            ]),
          ) as Record<(typeof PRODUCT_NAMES)[number], z.ZodString>,
        )
        .optional(),
    }),
  })
  .superRefine((c, ctx) => {
    for (const problem of adoptionProblems(c)) ctx.addIssue({ code: "custom", ...problem });
    const reserved = RESERVED_HOSTS[c.controlPlane.billingHost];
    if (reserved) ctx.addIssue({ code: "custom", path: ["controlPlane", "billingHost"], message: reserved });
    for (const problem of placeholderProblems(c)) ctx.addIssue({ code: "custom", ...problem });
    if (c.deployPhase === "all") {
      for (const path of RELEASE_KEYS.filter((k) => releaseValue(c, k) === undefined)) {
        ctx.addIssue({
          code: "custom",
          path,
          message:
            "is required but not set: a human sets it from the release / Stripe (docs/operations.md); " +
            "a first deploy may run `deployPhase: infrastructure` before it exists",
        });
      }
    }
    if (c.workstations.runningTimeoutSeconds <= c.workstations.idleTimeoutSeconds) {
      ctx.addIssue({
        code: "custom",
        path: ["workstations", "runningTimeoutSeconds"],
        message: "must be longer than workstations.idleTimeoutSeconds",
      });
    }
    if (c.controlPlane.billingMaxReplicas < c.controlPlane.billingMinReplicas) {
      ctx.addIssue({
        code: "custom",
        path: ["controlPlane", "billingMaxReplicas"],
        message: "must be at least controlPlane.billingMinReplicas",
      });
    }
    if (c.gke.maxNodesPerZone < c.gke.minNodesPerZone) {
      ctx.addIssue({
        code: "custom",
        path: ["gke", "maxNodesPerZone"],
        message: "must be at least gke.minNodesPerZone",
      });
    }
    if (c.environment === "prod" && !c.database.highAvailability) {
      ctx.addIssue({
        code: "custom",
        path: ["database", "highAvailability"],
        message: "must be true in the prod environment",
      });
    }
  });

/** Each adopted id must name the resource this stack declares (same project, region and name). */
function adoptionProblems(c: StackConfig): { path: string[]; message: string }[] {
  const base = `projects/${c.gcpProject}/locations/${c.region}`;
  const ring = `${base}/keyRings/${c.signing.keyRingName}`;
  const expected: [keyof typeof c.adopt, string][] = [
    ["signingKeyRing", ring],
    ["signingKey", `${ring}/cryptoKeys/${c.signing.keyName}`],
    ["workstationCluster", `${base}/workstationClusters/${c.workstations.clusterId}`],
  ];
  return expected
    .filter(([key, id]) => c.adopt[key] !== undefined && c.adopt[key] !== id)
    .map(([key, id]) => ({
      path: ["adopt", key],
      message: `is ${c.adopt[key]}, but this stack declares ${id} (the id must name that same resource)`,
    }));
}

/** What a release (and Stripe) provides; absent only in the infrastructure phase. */
const RELEASE_KEYS = [
  ["workstations", "image"],
  ["controlPlane", "operatorImage"],
  ["controlPlane", "billingImage"],
  ["controlPlane", "stripePriceIds"],
];
function releaseValue(c: StackConfig, path: string[]): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], c);
}

/** The release values of a stack that deploys everything; undefined in the infrastructure phase. */
export function releaseOf(c: StackConfig):
  | {
      workstationImage: string;
      operatorImage: string;
      billingImage: string;
      stripePriceIds: NonNullable<StackConfig["controlPlane"]["stripePriceIds"]>;
    }
  | undefined {
  if (c.deployPhase === "infrastructure") return undefined;
  const { image } = c.workstations;
  const { operatorImage, billingImage, stripePriceIds } = c.controlPlane;
  if (!image || !operatorImage || !billingImage || !stripePriceIds) {
    throw new Error("release values missing although deployPhase is all (config validation let them pass)");
  }
  return { workstationImage: image, operatorImage, billingImage, stripePriceIds };
}

/** Keys earlier versions read, with what to do instead (a clearer message than "is not a known key"). */
const RETIRED_KEYS: Record<string, string> = {
  "build.githubRef":
    "is no longer read: use build.githubRefs, a list (prod: [refs/tags/v*], releases run on tags; ADR 0108)",
  gcpProjectNumber:
    "is no longer read: the program derives the project number from gcpProject " +
    "(gcp.organizations.getProjectOutput, ADR 0100); remove the key with `pulumi config rm gcpProjectNumber`",
};

export type StackConfig = z.infer<typeof stackConfigSchema>;
export type TierHostConfig = z.infer<typeof tierHostSchema>;

/** The top-level keys, each read as one (possibly structured) Pulumi config value. */
export const CONFIG_KEYS = Object.keys(stackConfigSchema.shape) as (keyof StackConfig)[];

/** Raised for a missing or invalid configuration value; the message lists every bad key. */
export class StackConfigError extends Error {
  constructor(
    readonly problems: { key: string; message: string }[],
    stack: string,
  ) {
    super(
      `invalid configuration for stack "${stack}":\n` +
        problems.map((p) => `  - ${p.key}: ${p.message}`).join("\n") +
        `\nSet values with \`pulumi config set --path <key> <value>\` or edit Pulumi.${stack}.yaml.`,
    );
    this.name = "StackConfigError";
  }
}

function keyOf(path: readonly PropertyKey[]): string {
  return `${PROJECT_NAME}:${path.map(String).join(".")}`;
}

/**
 * Validates raw configuration values (already JSON-decoded; `undefined` = unset) keyed by top-level key.
 * Pure: no Pulumi runtime needed.
 */
export function parseStackConfig(raw: Record<string, unknown>, stack = "stack"): StackConfig {
  const problems: { key: string; message: string }[] = [];
  // Retired keys get a message saying what replaced them (dotted: one level of nesting).
  const rest: Record<string, unknown> = { ...raw };
  for (const [dotted, message] of Object.entries(RETIRED_KEYS)) {
    const [top, inner] = dotted.split(".") as [string, string | undefined];
    const holder = rest[top];
    if (inner === undefined && top in rest) {
      problems.push({ key: keyOf([top]), message });
      delete rest[top];
    } else if (inner !== undefined && typeof holder === "object" && holder !== null && inner in holder) {
      problems.push({ key: keyOf([top, inner]), message });
      const { [inner]: _dropped, ...others } = holder as Record<string, unknown>;
      rest[top] = others;
    }
  }
  const result = stackConfigSchema.safeParse(rest, {
    error: (issue) =>
      issue.code === "invalid_type" && issue.input === undefined ? "is required but not set" : undefined,
  });
  if (!result.success) {
    for (const issue of result.error.issues) {
      const message = issue.message;
      if (issue.code === "unrecognized_keys") {
        for (const k of issue.keys)
          problems.push({ key: keyOf([...issue.path, k]), message: "is not a known key" });
      } else {
        problems.push({ key: keyOf(issue.path), message });
      }
    }
  }
  if (problems.length > 0) throw new StackConfigError(problems, stack);
  return result.data!;
}

/**
 * Validates a flat `namespace:key → text` map (a stack file's `config:` section, as Pulumi passes it to a
 * program). Keys of other namespaces (e.g. `gcp:project`) are ignored.
 */
export function parseFlatConfig(flat: Record<string, string>, stack: string): StackConfig {
  const raw: Record<string, unknown> = {};
  const prefix = `${PROJECT_NAME}:`;
  for (const [key, text] of Object.entries(flat)) {
    if (key.startsWith(prefix)) raw[key.slice(prefix.length)] = decodeConfigValue(text);
  }
  return parseStackConfig(raw, stack);
}

/**
 * Reads every top-level key through `get` (in the program: `new pulumi.Config(PROJECT_NAME).get`) and
 * validates the result. Kept free of the Pulumi SDK so the plan CLI can validate before loading it.
 */
export function readStackConfig(get: (key: string) => string | undefined, stack: string): StackConfig {
  const raw: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const text = get(key);
    if (text !== undefined) raw[key] = decodeConfigValue(text);
  }
  return parseStackConfig(raw, stack);
}

/**
 * Structured values (objects, lists) arrive as JSON text; everything else stays a string, so a project
 * number such as "374018874256" is not turned into a number.
 */
export function decodeConfigValue(text: string): unknown {
  const trimmed = text.trim();
  if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) return text;
  try {
    return JSON.parse(trimmed);
  } catch {
    return text;
  }
}

/** The workstation tiers in a stable order, for iteration. */
export const TIERS = WORKSTATION_TIER_NAMES;
