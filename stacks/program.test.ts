/**
 * The whole program under mocks with the committed prod configuration, loaded through the real entry
 * point (stacks/index.ts reads the config via pulumi.Config): stack outputs and the wiring between layers.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { acceptOfflineStandIns } from "./placeholders.js";
import { type Recording, resolveOutput, startRecording } from "./plan/harness.js";
import { FAKE_PROJECT_NUMBER } from "./plan/mock-state.js";
import { planConfig } from "./plan/run-plan.js";

let rec: Recording;
let outputs: Record<string, unknown>;

beforeAll(async () => {
  // The committed file plus the offline stand-ins for the values a human fills in (C2).
  const { config } = planConfig("prod");
  acceptOfflineStandIns(true);
  rec = await startRecording({ project: "coditect-control-plane", stack: "prod", preview: true, config });
  const program = (await import("./index.js")) as Record<string, unknown>;
  outputs = {};
  for (const [key, value] of Object.entries(program)) outputs[key] = await resolveOutput(value as never);
  await rec.settle();
});

const urnOf = (type: string, name: string) => rec.get(type, name).urn;

describe("prod program", () => {
  it("is made of our components, each with the coditect:index token, and nothing else at the top", () => {
    const top = rec.resources.filter((r) => r.parent === null);
    expect(top.map((r) => r.type).sort()).toEqual(
      [
        "coditect:index:BuildIdentity",
        "coditect:index:ControlPlane",
        "coditect:index:ControlPlaneSecrets",
        "coditect:index:Database",
        "coditect:index:EncryptionKeys",
        "coditect:index:GkeWorkloadIdentity",
        "coditect:index:GkeWorkloadIdentity",
        "coditect:index:ImageAttestor",
        "coditect:index:LicensedRegistry",
        "coditect:index:Monitoring",
        "coditect:index:Network",
        "coditect:index:NetworkSegmentation",
        "coditect:index:PrivateGkeCluster",
        "coditect:index:PrivateGoogleApisDns",
        "coditect:index:ProjectServices",
        "coditect:index:SigningKey",
        "coditect:index:WorkstationEgressAllow",
        "coditect:index:WorkstationFleet",
        "pulumi:providers:kubernetes",
      ].sort(),
    );
  });

  it("names every child after its component and parents it there", () => {
    const byUrn = new Map(rec.resources.map((r) => [r.urn, r]));
    const children = rec.resources.filter((r) => r.parent !== null);
    expect(children.length).toBeGreaterThan(100);
    for (const child of children) {
      const parent = byUrn.get(child.parent!);
      expect(parent?.type).toMatch(/^coditect:index:/);
      expect(child.name.startsWith(`${parent!.name}-`)).toBe(true);
    }
  });

  it("exports what an operator of the system needs", () => {
    const keyId =
      "projects/coditect-citus-prod/locations/us-central1/keyRings/coditect-container-signing/cryptoKeys/cosign-signing-key";
    expect(outputs).toMatchObject({
      registryUrls: {
        pro: "us-central1-docker.pkg.dev/coditect-citus-prod/coditect-images",
        enterprise: "us-central1-docker.pkg.dev/coditect-citus-prod/coditect-enterprise",
      },
      signingKeyId: keyId,
      signingKeyUri: `gcpkms://${keyId}/cryptoKeyVersions/1`,
      cosignVerifyCommand: `cosign verify --key gcpkms://${keyId}/cryptoKeyVersions/1 <image>@sha256:<digest>`,
      workstationClusterId: "coditect-ws-cluster",
      workstationConfigNames: {
        standard:
          "projects/coditect-citus-prod/locations/us-central1/workstationClusters/coditect-ws-cluster/workstationConfigs/coditect-standard",
      },
      gkeEndpoint: "172.16.0.2",
      billingUrl: "https://billing.coditect.ai",
    });
    expect(outputs.signingPublicKeyPem).toMatch(/BEGIN PUBLIC KEY/);
  });

  it("creates nothing before the APIs it needs are enabled", () => {
    const api = urnOf("gcp:projects/service:Service", "coditect-apis-workstations");
    expect(
      rec.get("gcp:workstations/workstationCluster:WorkstationCluster", "coditect-workstations-cluster")
        .dependencies,
    ).toContain(api);
    const sqlApi = urnOf("gcp:projects/service:Service", "coditect-apis-sqladmin");
    expect(
      rec.get("gcp:sql/databaseInstance:DatabaseInstance", "coditect-db-instance").dependencies,
    ).toContain(sqlApi);
  });

  it("wires identities across layers: CI signs and pushes, billing issues pull tokens, nodes pull the control plane's images and VMs only the workstation image", () => {
    const builder = "serviceAccount:coditect-image-builder@coditect-citus-prod.iam.gserviceaccount.com";
    expect(
      rec.get("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "coditect-signing-signer-0").inputs.member,
    ).toBe(builder);
    const readers = (repository: string) =>
      rec
        .ofType("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember")
        .filter(
          (g) => g.inputs.repository === repository && g.inputs.role === "roles/artifactregistry.reader",
        )
        .map((g) => g.inputs.member);
    expect(readers("coditect-platform")).toEqual([
      "serviceAccount:coditect-gke-nodes@coditect-citus-prod.iam.gserviceaccount.com",
    ]);
    expect(readers("coditect-workstation-images")).toEqual([
      "serviceAccount:coditect-workstation@coditect-citus-prod.iam.gserviceaccount.com",
    ]);
    expect(
      rec.get("gcp:serviceaccount/iAMMember:IAMMember", "coditect-registry-pull-pro-token-issuer-0").inputs
        .member,
    ).toBe("serviceAccount:coditect-billing@coditect-citus-prod.iam.gserviceaccount.com");
  });

  it("binds the operator's KSA to the GSA that may manage the workstation configs", () => {
    const gsa = "coditect-operator@coditect-citus-prod.iam.gserviceaccount.com";
    expect(
      rec.get("kubernetes:core/v1:ServiceAccount", "coditect-control-plane-operator-ksa").inputs.metadata,
    ).toMatchObject({ annotations: { "iam.gke.io/gcp-service-account": gsa } });
    expect(rec.get("gcp:serviceaccount/iAMMember:IAMMember", "coditect-operator-binding").inputs.member).toBe(
      "serviceAccount:coditect-citus-prod.svc.id.goog[coditect-operator/operator]",
    );
    const manager = rec.get(
      "gcp:workstations/workstationConfigIamMember:WorkstationConfigIamMember",
      "coditect-workstations-ai-manager",
    );
    expect(manager.inputs.member).toBe(`serviceAccount:${gsa}`);
  });

  it("applies Kubernetes objects only after the cluster and its node pool exist", () => {
    const provider = rec.get("pulumi:providers:kubernetes", "coditect-gke");
    expect(provider.dependencies).toContain(urnOf("gcp:container/cluster:Cluster", "coditect-gke-cluster"));
    expect(provider.dependencies).toContain(urnOf("gcp:container/nodePool:NodePool", "coditect-gke-pool"));
  });

  it("points billing at the private Cloud SQL address and the workstation configs at billing", () => {
    const billing = rec.get("kubernetes:apps/v1:Deployment", "coditect-control-plane-billing");
    expect(JSON.stringify(billing.inputs)).toContain("postgres://billing@10.60.0.3:5432/billing");
    const standard = rec.get(
      "gcp:workstations/workstationConfig:WorkstationConfig",
      "coditect-workstations-standard",
    );
    expect(standard.inputs.container).toMatchObject({
      env: { CODITECT_LICENSE_SERVER: "https://billing.coditect.ai", CODITECT_CONTAINER_TYPE: "workstation" },
    });
  });

  it("derives the project number from the project, not from configuration", () => {
    const gkeAgent = rec.get(
      "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
      "coditect-platform-keys-gke-secrets-agent",
    );
    expect(gkeAgent.inputs.member).toBe(
      `serviceAccount:service-${FAKE_PROJECT_NUMBER}@container-engine-robot.iam.gserviceaccount.com`,
    );
    expect(JSON.stringify(rec.resources.map((r) => r.inputs))).not.toContain("374018874256");
  });

  it("lets the operator read the long-running operations it polls, and nothing else project-wide", () => {
    const operatorGrants = rec
      .ofType("gcp:projects/iAMMember:IAMMember")
      .filter(
        (g) =>
          g.inputs.member === "serviceAccount:coditect-operator@coditect-citus-prod.iam.gserviceaccount.com",
      )
      .map((g) => g.inputs.role);
    expect(operatorGrants).toEqual(["roles/workstations.operationViewer"]);
  });

  it("adopts the seeds' signing ring, key and workstation cluster by import id", () => {
    const base = "projects/coditect-citus-prod/locations/us-central1";
    expect(rec.get("gcp:kms/keyRing:KeyRing", "coditect-signing-ring").importId).toBe(
      `${base}/keyRings/coditect-container-signing`,
    );
    expect(rec.get("gcp:kms/cryptoKey:CryptoKey", "coditect-signing-key").importId).toBe(
      `${base}/keyRings/coditect-container-signing/cryptoKeys/cosign-signing-key`,
    );
    expect(
      rec.get("gcp:workstations/workstationCluster:WorkstationCluster", "coditect-workstations-cluster")
        .importId,
    ).toBe(`${base}/workstationClusters/coditect-ws-cluster`);
  });

  it("exports what the control plane and ops need from the infrastructure", () => {
    expect(outputs).toMatchObject({
      workstationServiceAccount: "coditect-workstation@coditect-citus-prod.iam.gserviceaccount.com",
      workstationClusterHostname: "cluster-coditect-ws-cluster.cloudworkstations.dev",
      databaseServerCa: "-----BEGIN CERTIFICATE-----\nMOCK-CLOUD-SQL-CA\n-----END CERTIFICATE-----\n",
    });
    expect(outputs.gkeDnsEndpoint).toMatch(/\.us-central1\.gke\.goog$/);
  });

  it("grants nothing to public principals anywhere", () => {
    expect(JSON.stringify(rec.resources.map((r) => r.inputs))).not.toMatch(
      /"(allUsers|allAuthenticatedUsers)"/,
    );
  });
});
