/**
 * FAKE cloud state for running the program offline (test infrastructure, also used by `npm run plan`).
 * The Pulumi mock monitor asks us what the provider would return for each resource; we echo the inputs and
 * add the computed outputs the program reads later (ids, emails, self links, endpoints), derived
 * deterministically from the inputs so plans are stable. None of this is what Google would return byte for
 * byte: it only has the right shape.
 */

type Inputs = Record<string, unknown>;

/** The project number every fake project has (gcp.organizations.getProject). */
export const FAKE_PROJECT_NUMBER = "123456789012";

/** Service-agent domains Google uses per API (https://cloud.google.com/iam/docs/service-agents). */
const SERVICE_AGENT_DOMAINS: Record<string, string> = {
  "artifactregistry.googleapis.com": "gcp-sa-artifactregistry.iam.gserviceaccount.com",
  "sqladmin.googleapis.com": "gcp-sa-cloud-sql.iam.gserviceaccount.com",
  "secretmanager.googleapis.com": "gcp-sa-secretmanager.iam.gserviceaccount.com",
  "workstations.googleapis.com": "gcp-sa-workstations.iam.gserviceaccount.com",
};

function str(v: unknown, fallback: string): string {
  return typeof v === "string" && v.length > 0 ? v : fallback;
}

/** Computed outputs per resource type, keyed by Pulumi type token. */
const COMPUTED: Record<string, (name: string, inputs: Inputs) => Inputs> = {
  "gcp:projects/serviceIdentity:ServiceIdentity": (_name, i) => {
    const domain =
      SERVICE_AGENT_DOMAINS[str(i.service, "")] ??
      `gcp-sa-${str(i.service, "x").split(".")[0]}.iam.gserviceaccount.com`;
    const email = `service-${FAKE_PROJECT_NUMBER}@${domain}`;
    return { email, member: `serviceAccount:${email}` };
  },
  "gcp:serviceaccount/account:Account": (name, i) => {
    const project = str(i.project, "mock-project");
    const email = `${str(i.accountId, name)}@${project}.iam.gserviceaccount.com`;
    return { email, member: `serviceAccount:${email}`, name: `projects/${project}/serviceAccounts/${email}` };
  },
  "gcp:kms/keyRing:KeyRing": (name, i) => ({
    id: `projects/${str(i.project, "mock-project")}/locations/${str(i.location, "us-central1")}/keyRings/${str(i.name, name)}`,
  }),
  "gcp:kms/cryptoKey:CryptoKey": (name, i) => ({
    id: `${str(i.keyRing, "mock-ring")}/cryptoKeys/${str(i.name, name)}`,
  }),
  "gcp:compute/network:Network": (name, i) => {
    const path = `projects/${str(i.project, "mock-project")}/global/networks/${str(i.name, name)}`;
    return { id: path, selfLink: `https://www.googleapis.com/compute/v1/${path}` };
  },
  "gcp:compute/subnetwork:Subnetwork": (name, i) => {
    const path = `projects/${str(i.project, "mock-project")}/regions/${str(i.region, "us-central1")}/subnetworks/${str(i.name, name)}`;
    return { id: path, selfLink: `https://www.googleapis.com/compute/v1/${path}` };
  },
  "gcp:compute/globalAddress:GlobalAddress": (name, i) => ({
    name: str(i.name, name),
    address: i.addressType === "EXTERNAL" ? "203.0.113.10" : "10.60.0.0",
  }),
  "gcp:compute/address:Address": (name, i) => ({
    address: "10.40.0.5",
    id: `projects/${str(i.project, "mock-project")}/regions/${str(i.region, "us-central1")}/addresses/${str(i.name, name)}`,
  }),
  "gcp:artifactregistry/repository:Repository": (name, i) => ({
    name: str(i.repositoryId, name),
    registryUri: `${str(i.location, "us-central1")}-docker.pkg.dev/${str(i.project, "mock-project")}/${str(i.repositoryId, name)}`,
  }),
  "gcp:container/cluster:Cluster": (name, i) => ({
    name: str(i.name, name),
    endpoint: "172.16.0.2",
    masterAuth: { clusterCaCertificate: "bW9jay1jYQ==" },
    controlPlaneEndpointsConfig: {
      ...((i.controlPlaneEndpointsConfig as Inputs | undefined) ?? {}),
      dnsEndpointConfig: {
        ...(((i.controlPlaneEndpointsConfig as Inputs | undefined)?.dnsEndpointConfig as
          | Inputs
          | undefined) ?? {}),
        endpoint: `gke-0123456789abcdef0123456789abcdef-${FAKE_PROJECT_NUMBER}.${str(i.location, "us-central1")}.gke.goog`,
      },
    },
  }),
  "gcp:sql/databaseInstance:DatabaseInstance": (name, i) => ({
    name: str(i.name, name),
    privateIpAddress: "10.60.0.3",
    connectionName: `${str(i.project, "mock-project")}:${str(i.region, "us-central1")}:${str(i.name, name)}`,
    serverCaCerts: [{ cert: "-----BEGIN CERTIFICATE-----\nMOCK-CLOUD-SQL-CA\n-----END CERTIFICATE-----\n" }],
  }),
  "gcp:secretmanager/secret:Secret": (name, i) => ({
    name: `projects/${str(i.project, "mock-project")}/secrets/${str(i.secretId, name)}`,
    secretId: str(i.secretId, name),
  }),
  "gcp:workstations/workstationCluster:WorkstationCluster": (name, i) => ({
    controlPlaneIp: "10.40.0.2",
    privateClusterConfig: {
      ...((i.privateClusterConfig as Inputs | undefined) ?? {}),
      clusterHostname: `cluster-${str(i.workstationClusterId, name)}.cloudworkstations.dev`,
      serviceAttachmentUri: `projects/mock-tenant-project/regions/${str(i.location, "us-central1")}/serviceAttachments/${str(i.workstationClusterId, name)}-sa`,
    },
    name: `projects/${str(i.project, "mock-project")}/locations/${str(i.location, "us-central1")}/workstationClusters/${str(i.workstationClusterId, name)}`,
  }),
  "gcp:workstations/workstationConfig:WorkstationConfig": (name, i) => ({
    name: `projects/${str(i.project, "mock-project")}/locations/${str(i.location, "us-central1")}/workstationClusters/${str(i.workstationClusterId, "mock")}/workstationConfigs/${str(i.workstationConfigId, name)}`,
  }),
  "gcp:binaryauthorization/attestor:Attestor": (name, i) => ({
    id: `projects/${str(i.project, "mock-project")}/attestors/${str(i.name, name)}`,
  }),
  "gcp:containeranalysis/note:Note": (name, i) => ({
    id: `projects/${str(i.project, "mock-project")}/notes/${str(i.name, name)}`,
  }),
  "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": (name, i) => ({
    name: `projects/000000000000/locations/global/workloadIdentityPools/${str(i.workloadIdentityPoolId, name)}`,
  }),
  "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": (name, i) => ({
    name: `projects/000000000000/locations/global/workloadIdentityPools/${str(i.workloadIdentityPoolId, "mock-pool")}/providers/${str(i.workloadIdentityPoolProviderId, name)}`,
  }),
};

/** The state the fake provider returns for a new resource: inputs plus deterministic computed outputs. */
export function fakeResourceState(type: string, name: string, inputs: Inputs): { id: string; state: Inputs } {
  const computed = COMPUTED[type]?.(name, inputs) ?? {};
  const id = typeof computed.id === "string" ? computed.id : `${name}-id`;
  return { id, state: { ...inputs, ...computed } };
}

/** Fake results for provider functions (invokes) the program calls. */
export function fakeInvokeResult(token: string, inputs: Inputs): Record<string, unknown> {
  if (token === "gcp:organizations/getProject:getProject") {
    return { ...inputs, number: FAKE_PROJECT_NUMBER, name: str(inputs.projectId, "mock-project") };
  }
  if (token === "gcp:kms/getKMSCryptoKeyVersion:getKMSCryptoKeyVersion") {
    return {
      ...inputs,
      name: `${str(inputs.cryptoKey, "mock-key")}/cryptoKeyVersions/${String(inputs.version ?? 1)}`,
      algorithm: "EC_SIGN_P384_SHA384",
      protectionLevel: "HSM",
      publicKeys: [
        {
          algorithm: "EC_SIGN_P384_SHA384",
          pem: "-----BEGIN PUBLIC KEY-----\nMOCK\n-----END PUBLIC KEY-----\n",
        },
      ],
    };
  }
  return inputs;
}
