/**
 * The billing Deployment with customers' Google sign-in switched on (controlPlane.accountGoogleClientId,
 * ADRs 0220 and 0286): the client id as a value, the client secret only as a file mounted from the Secret
 * Manager secret `account-google-client-secret` (declared in the SecretProviderClass), never as a value.
 */
import * as k8s from "@pulumi/kubernetes";
import { beforeAll, describe, expect, it } from "vitest";
import { type Recording, startRecording } from "../../stacks/plan/harness.js";
import { CONTROL_PLANE_SECRETS, type ControlPlaneSecretId } from "../secrets.js";
import { type BillingWorkloadArgs, createBillingWorkload } from "./billing.js";

const CLIENT_ID = "1234-abc.apps.googleusercontent.com";
let rec: Recording;

const workload = (accountGoogleClientId: string | undefined): BillingWorkloadArgs => ({
  project: "proj-test-1",
  namespace: "coditect-billing",
  serviceAccountName: "billing",
  image: `r/billing@sha256:${"c".repeat(64)}`,
  labels: { app: "billing" },
  host: "api.example.test",
  minReplicas: 2,
  maxReplicas: 10,
  databaseHost: "10.60.0.3",
  databaseName: "billing",
  databaseUser: "billing",
  migrationUser: "billing_migrator",
  databaseServerCa: "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n",
  secretNames: Object.fromEntries(
    Object.keys(CONTROL_PLANE_SECRETS).map((id) => [id, `projects/p/secrets/${id}`]),
  ) as Record<ControlPlaneSecretId, string>,
  stripePriceIds: Object.fromEntries(
    ["starter", "pro", "enterprise", "standard", "power", "ai"].map((p) => [p, `price_${p}`]),
  ),
  workstationServiceAccountEmail: "ws@proj-test-1.iam.gserviceaccount.com",
  admins: { emails: ["alice@coditect.example"], idTokenAudiences: [], breakGlass: false },
  accountGoogleClientId,
});

beforeAll(async () => {
  rec = await startRecording({ project: "coditect-control-plane", stack: "test" });
  const provider = new k8s.Provider("gke", { kubeconfig: "{}" });
  createBillingWorkload("with", workload(CLIENT_ID), { provider });
  createBillingWorkload("without", workload(undefined), { provider });
  await rec.settle();
});

const envOf = (name: string) =>
  (
    rec.get("kubernetes:apps/v1:Deployment", `${name}-billing`).inputs.spec as {
      template: { spec: { containers: { env: { name: string; value?: string }[] }[] } };
    }
  ).template.spec.containers[0]!.env;
const mountedSecrets = (name: string) =>
  (
    rec.get("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass", `${name}-billing-secrets`).inputs
      .spec as { parameters: { secrets: string } }
  ).parameters.secrets;

describe("billing's Deployment and Google sign-in", () => {
  it("with a client id: the id as a value, the secret as the mounted account-google-client-secret file", () => {
    const env = envOf("with");
    expect(env).toContainEqual({ name: "ACCOUNT_GOOGLE_CLIENT_ID", value: CLIENT_ID });
    expect(env).toContainEqual({
      name: "ACCOUNT_GOOGLE_CLIENT_SECRET_FILE",
      value: "/etc/coditect/secrets/account-google-client-secret",
    });
    expect(env.map((e) => e.name)).not.toContain("ACCOUNT_GOOGLE_CLIENT_SECRET");
    expect(mountedSecrets("with")).toContain(
      'resourceName: "projects/p/secrets/account-google-client-secret/versions/latest"',
    );
  });

  it("without: neither variable, and the secret is not mounted (it may have no version)", () => {
    const names = envOf("without").map((e) => e.name);
    expect(names).not.toContain("ACCOUNT_GOOGLE_CLIENT_ID");
    expect(names).not.toContain("ACCOUNT_GOOGLE_CLIENT_SECRET_FILE");
    expect(mountedSecrets("without")).not.toContain("account-google-client-secret");
  });
});
