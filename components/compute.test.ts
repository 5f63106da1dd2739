/** WorkstationFleet and PrivateGkeCluster under mocks. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PLATFORM_WORKSTATION_ENV } from "../rehearsal/workstation-env.js";
import { type Recording, resolveOutput, startRecording } from "../stacks/plan/harness.js";
import { REPO_ROOT } from "../stacks/plan/stack-file.js";
import { gkeKubeconfig, NODE_SERVICE_ACCOUNT_ROLES, PrivateGkeCluster } from "./private-gke-cluster.js";
import {
  WORKSTATION_SA_ROLES,
  WorkstationFleet,
  type WorkstationFleetArgs,
  workstationContainerEnv,
} from "./workstation-fleet.js";

let rec: Recording;
let fleet: WorkstationFleet;
let gke: PrivateGkeCluster;
const IMAGE = `us-central1-docker.pkg.dev/proj-test-1/coditect-platform/coditect-workstation@sha256:${"ab".repeat(32)}`;
const OPERATOR = "serviceAccount:coditect-operator@proj-test-1.iam.gserviceaccount.com";

const fleetArgs = (over: Partial<WorkstationFleetArgs> = {}): WorkstationFleetArgs => ({
  project: "proj-test-1",
  location: "us-central1",
  networkId: "projects/proj-test-1/global/networks/net",
  subnetworkId: "projects/proj-test-1/regions/us-central1/subnetworks/net-workstations",
  clusterId: "coditect-ws-cluster",
  image: IMAGE,
  idleTimeoutSeconds: 1800,
  runningTimeoutSeconds: 43_200,
  tiers: {
    standard: {
      machineType: "e2-standard-4",
      bootDiskSizeGb: 50,
      homeDiskSizeGb: 100,
      homeDiskType: "pd-ssd",
      poolSize: 0,
    },
    power: {
      machineType: "n2d-standard-8",
      bootDiskSizeGb: 50,
      homeDiskSizeGb: 200,
      homeDiskType: "pd-ssd",
      poolSize: 1,
    },
    ai: {
      machineType: "n1-standard-16",
      bootDiskSizeGb: 100,
      homeDiskSizeGb: 500,
      homeDiskType: "pd-ssd",
      accelerator: { type: "nvidia-tesla-t4", count: 1 },
      poolSize: 0,
    },
  },
  managerMember: OPERATOR,
  licenseApiUrl: "https://api.example.test",
  labels: { system: "coditect" },
  ...over,
});

beforeAll(async () => {
  rec = await startRecording({ project: "coditect-control-plane", stack: "test" });
  fleet = new WorkstationFleet("ws", fleetArgs());
  new WorkstationFleet(
    "adopted",
    fleetArgs({
      importClusterId: "projects/proj-test-1/locations/us-central1/workstationClusters/coditect-ws-cluster",
    }),
  );
  gke = new PrivateGkeCluster("gke", {
    project: "proj-test-1",
    location: "us-central1",
    clusterName: "coditect-control-plane",
    networkId: "projects/proj-test-1/global/networks/net",
    subnetworkId: "projects/proj-test-1/regions/us-central1/subnetworks/net-gke",
    podsRangeName: "net-pods",
    servicesRangeName: "net-services",
    masterCidr: "172.16.0.0/28",
    masterAuthorizedCidrs: ["10.50.0.0/24"],
    releaseChannel: "REGULAR",
    requiredAttestors: ["projects/proj-test-1/attestors/coditect-release"],
    secretsEncryptionKeyId: "projects/p/locations/us-central1/keyRings/r/cryptoKeys/gke-secrets",
    nodeMachineType: "e2-standard-4",
    minNodesPerZone: 1,
    maxNodesPerZone: 3,
    labels: { system: "coditect" },
  });
  await rec.settle();
});

type GceInstance = Record<string, unknown>;
const host = (tier: string) =>
  (
    rec.get("gcp:workstations/workstationConfig:WorkstationConfig", `ws-${tier}`).inputs.host as {
      gceInstance: GceInstance;
    }
  ).gceInstance;

describe("WorkstationFleet", () => {
  it("creates a private cluster on the given subnet", () => {
    expect(
      rec.get("gcp:workstations/workstationCluster:WorkstationCluster", "ws-cluster").inputs,
    ).toMatchObject({
      workstationClusterId: "coditect-ws-cluster",
      privateClusterConfig: { enablePrivateEndpoint: true },
      subnetwork: "projects/proj-test-1/regions/us-central1/subnetworks/net-workstations",
    });
  });

  it("gives every tier the timeouts, a digest-pinned image, shielded VM, no public IP, no SSH and its own SA", () => {
    for (const tier of ["standard", "power", "ai"]) {
      const config = rec.get("gcp:workstations/workstationConfig:WorkstationConfig", `ws-${tier}`);
      expect(config.inputs).toMatchObject({
        workstationConfigId: `coditect-${tier}`,
        idleTimeout: "1800s",
        runningTimeout: "43200s",
        container: { image: IMAGE },
        // Disks go with their workstation (ADR 0105); RETAIN kept every deleted customer's disk forever.
        persistentDirectories: [{ mountPath: "/home", gcePd: { reclaimPolicy: "DELETE" } }],
      });
      expect(host(tier)).toMatchObject({
        disablePublicIpAddresses: true,
        disableSsh: true,
        serviceAccount: "coditect-workstation@proj-test-1.iam.gserviceaccount.com",
        shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true },
      });
      expect(config.dependencies).toContain(rec.get("gcp:serviceaccount/account:Account", "ws-sa").urn);
      expect(config.dependencies).toContain(
        rec.get("gcp:workstations/workstationCluster:WorkstationCluster", "ws-cluster").urn,
      );
    }
  });

  it("gives the container exactly the variables the entrypoint and the agent read (C8)", () => {
    const read = new Set(
      ["images/workstation/entrypoint.sh", "images/agent/config.ts"].flatMap((f) =>
        [...readFileSync(path.join(REPO_ROOT, f), "utf8").matchAll(/CODITECT_[A-Z_]+/g)].map((m) => m[0]),
      ),
    );
    for (const tier of ["standard", "power", "ai"]) {
      const env = (
        rec.get("gcp:workstations/workstationConfig:WorkstationConfig", `ws-${tier}`).inputs.container as {
          env: Record<string, string>;
        }
      ).env;
      expect(env).toEqual({
        CODITECT_LICENSE_SERVER: "https://api.example.test",
        CODITECT_CONTAINER_TYPE: "workstation",
        CLOUD_WORKSTATIONS_CONFIG_DISABLE_SUDO: "true",
      });
      // The old CODITECT_API_URL was read by nobody: the agent fell back to api.coditect.ai. The platform
      // variables are read by Cloud Workstations' base image instead (rehearsal/workstation-env.ts).
      for (const name of Object.keys(env))
        if (!(name in PLATFORM_WORKSTATION_ENV)) expect(read, name).toContain(name);
    }
    expect(() => workstationContainerEnv("http://billing.example.test")).toThrow(/https:\/\/ origin/);
  });

  it("runs VMs without scopes (no actAs needed by the operator) and lets the audit agent write logs", () => {
    for (const tier of ["standard", "power", "ai"])
      expect(host(tier)).not.toHaveProperty("serviceAccountScopes");
    const roles = rec
      .ofType("gcp:projects/iAMMember:IAMMember")
      .filter(
        (g) => g.inputs.member === "serviceAccount:coditect-workstation@proj-test-1.iam.gserviceaccount.com",
      )
      .map((g) => g.inputs.role);
    expect(new Set(roles)).toEqual(new Set(WORKSTATION_SA_ROLES));
  });

  it("reaches the private cluster through a Private Service Connect endpoint and private DNS", async () => {
    const rule = rec.get("gcp:compute/forwardingRule:ForwardingRule", "ws-psc");
    expect(rule.inputs).toMatchObject({
      target: "projects/mock-tenant-project/regions/us-central1/serviceAttachments/coditect-ws-cluster-sa",
      loadBalancingScheme: "",
      network: "projects/proj-test-1/global/networks/net",
      ipAddress: "projects/proj-test-1/regions/us-central1/addresses/ws-psc",
    });
    expect(rec.get("gcp:compute/address:Address", "ws-psc-ip").inputs).toMatchObject({
      addressType: "INTERNAL",
      subnetwork: "projects/proj-test-1/regions/us-central1/subnetworks/net-workstations",
    });
    expect(rec.get("gcp:dns/managedZone:ManagedZone", "ws-dns").inputs).toMatchObject({
      dnsName: "cluster-coditect-ws-cluster.cloudworkstations.dev.",
      visibility: "private",
      privateVisibilityConfig: { networks: [{ networkUrl: "projects/proj-test-1/global/networks/net" }] },
    });
    expect(rec.get("gcp:dns/recordSet:RecordSet", "ws-dns-wildcard").inputs).toMatchObject({
      name: "*.cluster-coditect-ws-cluster.cloudworkstations.dev.",
      type: "A",
      rrdatas: ["10.40.0.5"],
    });
    expect(await resolveOutput(fleet.clusterHostname)).toBe(
      "cluster-coditect-ws-cluster.cloudworkstations.dev",
    );
  });

  it("adopts an existing cluster by import id and never deletes it", () => {
    const adopted = rec.get("gcp:workstations/workstationCluster:WorkstationCluster", "adopted-cluster");
    expect(adopted.importId).toBe(
      "projects/proj-test-1/locations/us-central1/workstationClusters/coditect-ws-cluster",
    );
    expect(adopted.retainOnDelete).toBe(true);
    expect(
      rec.get("gcp:workstations/workstationCluster:WorkstationCluster", "ws-cluster").importId,
    ).toBeNull();
  });

  it("sizes the standard tier per the seeds and decides confidential compute per tier (ADR 0022)", () => {
    expect(host("standard")).toMatchObject({
      machineType: "e2-standard-4",
      confidentialInstanceConfig: { enableConfidentialCompute: false },
    });
    const standard = rec.get("gcp:workstations/workstationConfig:WorkstationConfig", "ws-standard").inputs;
    expect(standard.persistentDirectories).toMatchObject([{ gcePd: { sizeGb: 100 } }]);
    expect(host("power").confidentialInstanceConfig).toEqual({ enableConfidentialCompute: true });
    expect(host("ai")).toMatchObject({
      accelerators: [{ type: "nvidia-tesla-t4", count: 1 }],
      confidentialInstanceConfig: { enableConfidentialCompute: false },
    });
  });

  it("lets the operator manage workstations per config, not project-wide", () => {
    const grants = rec
      .ofType("gcp:workstations/workstationConfigIamMember:WorkstationConfigIamMember")
      .filter((g) => g.name.startsWith("ws-"));
    expect(grants.map((g) => g.inputs.workstationConfigId).sort()).toEqual([
      "coditect-ai",
      "coditect-power",
      "coditect-standard",
    ]);
    for (const grant of grants)
      expect(grant.inputs).toMatchObject({ role: "roles/workstations.admin", member: OPERATOR });
    expect(
      rec.ofType("gcp:projects/iAMMember:IAMMember").filter((g) => g.inputs.member === OPERATOR),
    ).toEqual([]);
  });

  it("outputs cluster and config names", async () => {
    expect(await resolveOutput(fleet.cluster.name)).toBe(
      "projects/proj-test-1/locations/us-central1/workstationClusters/coditect-ws-cluster",
    );
    expect(fleet.configIds).toEqual({
      standard: "coditect-standard",
      power: "coditect-power",
      ai: "coditect-ai",
    });
  });

  it("refuses a tag-only image and an impossible tier before declaring anything", () => {
    const before = rec.resources.length;
    expect(() => new WorkstationFleet("bad-image", fleetArgs({ image: "r/p/ws:latest" }))).toThrow(
      /pinned by digest/,
    );
    const tiers = fleetArgs().tiers;
    expect(
      () =>
        new WorkstationFleet(
          "bad-tier",
          fleetArgs({ tiers: { ...tiers, ai: { ...tiers.ai, machineType: "e2-standard-8" } } }),
        ),
    ).toThrow(/workstations\.tiers\.ai\.accelerator/);
    return rec.settle().then(() => expect(rec.resources.slice(before)).toEqual([]));
  });
});

describe("PrivateGkeCluster", () => {
  const cluster = () => rec.get("gcp:container/cluster:Cluster", "gke-cluster").inputs;

  it("is private with an authorized-networks-only endpoint", () => {
    expect(cluster()).toMatchObject({
      privateClusterConfig: {
        enablePrivateNodes: true,
        enablePrivateEndpoint: true,
        masterIpv4CidrBlock: "172.16.0.0/28",
      },
      masterAuthorizedNetworksConfig: {
        cidrBlocks: [{ cidrBlock: "10.50.0.0/24" }],
        gcpPublicCidrsAccessEnabled: false,
      },
      ipAllocationPolicy: {
        clusterSecondaryRangeName: "net-pods",
        servicesSecondaryRangeName: "net-services",
      },
    });
  });

  it("turns on Workload Identity, release channel, shielded nodes, Binary Authorization, secrets encryption and network policy", () => {
    expect(cluster()).toMatchObject({
      workloadIdentityConfig: { workloadPool: "proj-test-1.svc.id.goog" },
      releaseChannel: { channel: "REGULAR" },
      enableShieldedNodes: true,
      enableLegacyAbac: false,
      binaryAuthorization: { evaluationMode: "PROJECT_SINGLETON_POLICY_ENFORCE" },
      databaseEncryption: {
        state: "ENCRYPTED",
        keyName: "projects/p/locations/us-central1/keyRings/r/cryptoKeys/gke-secrets",
      },
      networkPolicy: { enabled: true, provider: "CALICO" },
      secretManagerConfig: { enabled: true },
      removeDefaultNodePool: true,
      deletionProtection: true,
      // VULNERABILITY_BASIC is "no longer supported" by the GKE API (posture-management-deprecation).
      securityPostureConfig: { mode: "BASIC", vulnerabilityMode: "VULNERABILITY_DISABLED" },
    });
  });

  it("ignores the deleted default pool's fields, which would otherwise replace the cluster on every run", () => {
    const ignored = rec.get("gcp:container/cluster:Cluster", "gke-cluster").ignoreChanges;
    expect(ignored).toEqual(expect.arrayContaining(["nodeConfig", "initialNodeCount"]));
  });

  it("opens the IAM-guarded DNS endpoint and points the kubeconfig at it (no VPN needed for pulumi up)", async () => {
    expect(cluster()).toMatchObject({
      controlPlaneEndpointsConfig: { dnsEndpointConfig: { allowExternalTraffic: true } },
    });
    const kubeconfig = JSON.parse(await resolveOutput(gke.kubeconfig));
    expect(kubeconfig.clusters[0].cluster).toEqual({
      server: "https://gke-0123456789abcdef0123456789abcdef-123456789012.us-central1.gke.goog",
    });
    expect(() => gkeKubeconfig("c", "172.16.0.2")).toThrow(/not a GKE DNS endpoint/);
  });

  it("enforces a Binary Authorization policy that admits only attested images, blocking, before the cluster exists", () => {
    const policy = rec.get("gcp:binaryauthorization/policy:Policy", "gke-admission");
    expect(policy.inputs).toMatchObject({
      globalPolicyEvaluationMode: "ENABLE",
      defaultAdmissionRule: {
        evaluationMode: "REQUIRE_ATTESTATION",
        enforcementMode: "ENFORCED_BLOCK_AND_AUDIT_LOG",
        requireAttestationsBies: ["projects/proj-test-1/attestors/coditect-release"],
      },
    });
    // An allowlisted path would skip the signature check.
    expect(policy.inputs.admissionWhitelistPatterns).toBeUndefined();
    expect(rec.get("gcp:container/cluster:Cluster", "gke-cluster").dependencies).toContain(policy.urn);
  });

  it("runs one managed node pool with its own minimal service account", async () => {
    const pool = rec.get("gcp:container/nodePool:NodePool", "gke-pool");
    expect(pool.inputs).toMatchObject({
      cluster: "coditect-control-plane",
      management: { autoRepair: true, autoUpgrade: true },
      autoscaling: { minNodeCount: 1, maxNodeCount: 3 },
      nodeConfig: {
        serviceAccount: "coditect-gke-nodes@proj-test-1.iam.gserviceaccount.com",
        workloadMetadataConfig: { mode: "GKE_METADATA" },
        shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
      },
    });
    expect(pool.dependencies).toContain(rec.get("gcp:container/cluster:Cluster", "gke-cluster").urn);
    const roles = rec
      .ofType("gcp:projects/iAMMember:IAMMember")
      .filter(
        (g) => g.inputs.member === "serviceAccount:coditect-gke-nodes@proj-test-1.iam.gserviceaccount.com",
      )
      .map((g) => g.inputs.role);
    expect(roles.sort()).toEqual([...NODE_SERVICE_ACCOUNT_ROLES].sort());
    expect(await resolveOutput(gke.endpoint)).toBe("172.16.0.2");
    expect(JSON.parse(await resolveOutput(gke.kubeconfig)).users[0].user.exec.command).toBe(
      "gke-gcloud-auth-plugin",
    );
  });
});
