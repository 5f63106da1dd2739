/**
 * The whole program under mocks with the committed prod configuration, loaded through the real entry
 * point (stacks/index.ts reads the config via pulumi.Config): stack outputs and the wiring between layers.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type Recording, resolveOutput, startRecording } from "./plan/harness.js";
import { parseStackFile, REPO_ROOT } from "./plan/stack-file.js";

let rec: Recording;
let outputs: Record<string, unknown>;

beforeAll(async () => {
  const { config } = parseStackFile(
    readFileSync(path.join(REPO_ROOT, "Pulumi.prod.yaml"), "utf8"),
    "Pulumi.prod.yaml",
  );
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
        "coditect:index:LicensedRegistry",
        "coditect:index:Network",
        "coditect:index:PrivateGkeCluster",
        "coditect:index:ProjectServices",
        "coditect:index:SigningKey",
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
      billingUrl: "https://api.coditect.ai",
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

  it("wires identities across layers: CI signs and pushes, billing issues pull tokens, nodes and VMs pull internal images", () => {
    const builder = "serviceAccount:coditect-image-builder@coditect-citus-prod.iam.gserviceaccount.com";
    expect(
      rec.get("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "coditect-signing-signer-0").inputs.member,
    ).toBe(builder);
    const internalReaders = rec
      .ofType("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember")
      .filter(
        (g) =>
          g.inputs.repository === "coditect-platform" && g.inputs.role === "roles/artifactregistry.reader",
      )
      .map((g) => g.inputs.member);
    expect(internalReaders.sort()).toEqual([
      "serviceAccount:coditect-gke-nodes@coditect-citus-prod.iam.gserviceaccount.com",
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
    expect(standard.inputs.container).toMatchObject({ env: { CODITECT_API_URL: "https://api.coditect.ai" } });
  });

  it("grants nothing to public principals anywhere", () => {
    expect(JSON.stringify(rec.resources.map((r) => r.inputs))).not.toMatch(
      /"(allUsers|allAuthenticatedUsers)"/,
    );
  });
});
