/** Database, ControlPlaneSecrets, EncryptionKeys, ProjectServices and GkeWorkloadIdentity under mocks. */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { type Recording, resolveOutput, startRecording } from "../stacks/plan/harness.js";
import { Database, POSTGRES_LOGGING_FLAGS, serverCaBundle } from "./database.js";
import { EncryptionKeys, IAM_PROPAGATION_SECONDS, SYMMETRIC_ROTATION_PERIOD } from "./encryption-keys.js";
import { ProjectServices } from "./project-services.js";
import { CONTROL_PLANE_SECRETS, ControlPlaneSecrets } from "./secrets.js";
import { GkeWorkloadIdentity } from "./workload-identity.js";

/** Stands in for the private services peering the instance must wait for. */
class FakePeering extends pulumi.CustomResource {
  constructor(name: string) {
    super("test:index:Peering", name, {});
  }
}

let rec: Recording;
let keys: EncryptionKeys;
let database: Database;
let secrets: ControlPlaneSecrets;
let apis: ProjectServices;
const BILLING = "serviceAccount:billing@proj-test-1.iam.gserviceaccount.com";

beforeAll(async () => {
  rec = await startRecording({ project: "coditect-control-plane", stack: "test" });
  apis = new ProjectServices("apis", {
    project: "proj-test-1",
    services: ["sqladmin.googleapis.com", "cloudkms.googleapis.com"],
  });
  keys = new EncryptionKeys("keys", {
    project: apis.readyProject,
    projectNumber: "123456789",
    location: "us-central1",
    labels: {},
  });
  const peering = new FakePeering("peering");
  database = new Database("db", {
    project: apis.readyProject,
    region: "us-central1",
    instanceName: "coditect-billing",
    databaseVersion: "POSTGRES_16",
    tier: "db-custom-2-7680",
    diskSizeGb: 50,
    highAvailability: true,
    backupRetentionDays: 30,
    networkId: "projects/proj-test-1/global/networks/net",
    privateServicesConnection: peering,
    encryptionKeyId: keys.keyIds["cloud-sql"],
    databaseName: "billing",
    labels: { system: "coditect" },
  });
  secrets = new ControlPlaneSecrets("secrets", {
    project: "proj-test-1",
    location: "us-central1",
    kmsKeyName: keys.keyIds["secret-manager"],
    readers: { billing: BILLING },
    labels: {},
  });
  new GkeWorkloadIdentity("wi", {
    project: "proj-test-1",
    accountId: "coditect-operator",
    description: "test",
    namespace: "coditect-operator",
    kubernetesServiceAccount: "operator",
    workloadPool: "proj-test-1.svc.id.goog",
  });
  await rec.settle();
});

describe("ProjectServices", () => {
  it("enables APIs without disabling them on destroy, and gates the project id on them", async () => {
    const services = rec.ofType("gcp:projects/service:Service");
    expect(services.map((s) => s.inputs.service)).toEqual([
      "sqladmin.googleapis.com",
      "cloudkms.googleapis.com",
    ]);
    for (const s of services) expect(s.inputs.disableOnDestroy).toBe(false);
    expect(await resolveOutput(apis.readyProject)).toBe("proj-test-1");
    const instance = rec.get("gcp:sql/databaseInstance:DatabaseInstance", "db-instance");
    for (const s of services) expect(instance.dependencies).toContain(s.urn);
  });
});

describe("EncryptionKeys", () => {
  it("creates rotating, protected CMEK keys granted only to each service's agent", () => {
    const cryptoKeys = rec.ofType("gcp:kms/cryptoKey:CryptoKey");
    expect(cryptoKeys.map((k) => k.inputs.name).sort()).toEqual([
      "artifact-registry",
      "cloud-sql",
      "gke-secrets",
      "secret-manager",
    ]);
    for (const key of cryptoKeys) {
      expect(key.inputs).toMatchObject({
        purpose: "ENCRYPT_DECRYPT",
        rotationPeriod: SYMMETRIC_ROTATION_PERIOD,
      });
      expect(key.protect).toBe(true);
    }
    const grants = Object.fromEntries(
      rec.ofType("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember").map((g) => [g.name, g.inputs.member]),
    );
    // The fake provider names agents after its fake project number (stacks/plan/mock-state.ts); GKE's
    // agent is derived from the number the program passes in.
    expect(grants).toEqual({
      "keys-artifact-registry-agent":
        "serviceAccount:service-123456789012@gcp-sa-artifactregistry.iam.gserviceaccount.com",
      "keys-gke-secrets-agent":
        "serviceAccount:service-123456789@container-engine-robot.iam.gserviceaccount.com",
      "keys-cloud-sql-agent": "serviceAccount:service-123456789012@gcp-sa-cloud-sql.iam.gserviceaccount.com",
      "keys-secret-manager-agent":
        "serviceAccount:service-123456789012@gcp-sa-secretmanager.iam.gserviceaccount.com",
    });
  });

  it("creates the service agents in code (a fresh project has none) before granting them a key", () => {
    const identities = rec.ofType("gcp:projects/serviceIdentity:ServiceIdentity");
    expect(identities.map((i) => i.inputs.service).sort()).toEqual([
      "artifactregistry.googleapis.com",
      "secretmanager.googleapis.com",
      "sqladmin.googleapis.com",
    ]);
    const sqlAgent = rec.get("gcp:projects/serviceIdentity:ServiceIdentity", "keys-cloud-sql-agent-identity");
    expect(
      rec.get("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "keys-cloud-sql-agent").dependencies,
    ).toContain(sqlAgent.urn);
    // Created only once the APIs are on (the project input comes from ProjectServices).
    for (const s of rec.ofType("gcp:projects/service:Service"))
      expect(sqlAgent.dependencies).toContain(s.urn);
  });

  it("hands out key ids that make users wait for every grant plus IAM propagation", () => {
    const wait = rec.get("pulumi-nodejs:dynamic:Resource", "keys-iam-propagation");
    expect(wait.inputs.seconds).toBe(IAM_PROPAGATION_SECONDS);
    for (const grant of rec.ofType("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")) {
      expect(wait.dependencies).toContain(grant.urn);
    }
    const instance = rec.get("gcp:sql/databaseInstance:DatabaseInstance", "db-instance");
    expect(instance.dependencies).toContain(wait.urn);
  });

  it("never deletes its key ring (Cloud KMS cannot)", () => {
    const ring = rec.get("gcp:kms/keyRing:KeyRing", "keys-ring");
    expect([ring.protect, ring.retainOnDelete]).toEqual([true, true]);
  });
});

describe("Database", () => {
  const instance = () => rec.get("gcp:sql/databaseInstance:DatabaseInstance", "db-instance");

  it("has no public IP, requires TLS and lives on the private network", () => {
    expect(instance().inputs.settings).toMatchObject({
      ipConfiguration: {
        ipv4Enabled: false,
        privateNetwork: "projects/proj-test-1/global/networks/net",
        sslMode: "ENCRYPTED_ONLY",
        // Per-instance CA: server certificates without an IP SAN, verified with the CA (verify-ca).
        serverCaMode: "GOOGLE_MANAGED_INTERNAL_CA",
      },
    });
  });

  it("hands clients every server CA the instance lists (current and upcoming), as one PEM bundle", async () => {
    expect(await resolveOutput(database.serverCa)).toBe(
      "-----BEGIN CERTIFICATE-----\nMOCK-CLOUD-SQL-CA\n-----END CERTIFICATE-----\n",
    );
    const a = "-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----";
    const b = "-----BEGIN CERTIFICATE-----\nB\n-----END CERTIFICATE-----\n";
    expect(serverCaBundle([a, undefined, b])).toBe(`${a}\n${b}`);
    expect(() => serverCaBundle([])).toThrow(/no server CA certificate/);
  });

  it("keeps backups with point-in-time recovery, is highly available and protected from deletion", () => {
    expect(instance().inputs).toMatchObject({ deletionProtection: true, databaseVersion: "POSTGRES_16" });
    expect(instance().inputs.settings).toMatchObject({
      availabilityType: "REGIONAL",
      deletionProtectionEnabled: true,
      backupConfiguration: {
        enabled: true,
        pointInTimeRecoveryEnabled: true,
        backupRetentionSettings: { retainedBackups: 30 },
      },
      databaseFlags: POSTGRES_LOGGING_FLAGS,
    });
    expect(instance().protect).toBe(true);
  });

  it("waits for the private services peering and declares only the migration user, with no password", async () => {
    expect(instance().dependencies).toContain(rec.get("test:index:Peering", "peering").urn);
    expect(instance().inputs).not.toHaveProperty("rootPassword");
    const users = rec.ofType("gcp:sql/user:User");
    expect(users.map((u) => u.inputs.name)).toEqual(["billing_migrator"]);
    expect(users[0]!.inputs).not.toHaveProperty("password");
    expect(rec.get("gcp:sql/database:Database", "db-billing").inputs).toMatchObject({ name: "billing" });
    expect(await resolveOutput(database.serverCa)).toMatch(/BEGIN CERTIFICATE/);
  });
});

describe("ControlPlaneSecrets", () => {
  it("creates every secret empty (no versions: values never enter Pulumi state)", () => {
    const ids = rec.ofType("gcp:secretmanager/secret:Secret").map((s) => s.inputs.secretId);
    expect(ids.sort()).toEqual(Object.keys(CONTROL_PLANE_SECRETS).sort());
    expect(rec.ofType("gcp:secretmanager/secretVersion:SecretVersion")).toEqual([]);
    const keyGrant = rec.get("pulumi-nodejs:dynamic:Resource", "keys-iam-propagation").urn;
    for (const s of rec.ofType("gcp:secretmanager/secret:Secret")) {
      expect(s.inputs.deletionProtection).toBe(true);
      expect(s.inputs.replication).toEqual({
        userManaged: {
          replicas: [
            {
              location: "us-central1",
              customerManagedEncryption: {
                kmsKeyName:
                  "projects/proj-test-1/locations/us-central1/keyRings/keys/cryptoKeys/secret-manager",
              },
            },
          ],
        },
      });
      expect(s.dependencies).toContain(keyGrant);
    }
  });

  it("grants read access per secret to its reader only", async () => {
    const grants = rec.ofType("gcp:secretmanager/secretIamMember:SecretIamMember");
    expect(grants).toHaveLength(Object.keys(CONTROL_PLANE_SECRETS).length);
    for (const g of grants)
      expect(g.inputs).toMatchObject({ role: "roles/secretmanager.secretAccessor", member: BILLING });
    expect(await resolveOutput(secrets.secretNames["stripe-secret-key"])).toBe(
      "projects/proj-test-1/secrets/stripe-secret-key",
    );
  });
});

describe("GkeWorkloadIdentity", () => {
  it("binds exactly one Kubernetes service account to the Google service account", () => {
    expect(rec.get("gcp:serviceaccount/iAMMember:IAMMember", "wi-binding").inputs).toMatchObject({
      role: "roles/iam.workloadIdentityUser",
      member: "serviceAccount:proj-test-1.svc.id.goog[coditect-operator/operator]",
      serviceAccountId:
        "projects/proj-test-1/serviceAccounts/coditect-operator@proj-test-1.iam.gserviceaccount.com",
    });
  });
});
