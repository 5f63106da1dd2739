/**
 * The GCP layers, composed from config: project APIs → network, keys, identities → registry, signing
 * (and the attestor GKE admission requires), GKE, workstations, database, secrets. Dependencies between layers flow through inputs (ids, members),
 * so Pulumi orders creation without explicit wiring except where an API needs something that is not an
 * input (the APIs themselves, the private services peering).
 */
import * as gcp from "@pulumi/gcp";
import { BuildIdentity } from "../components/build-identity.js";
import { Database } from "../components/database.js";
import { EncryptionKeys } from "../components/encryption-keys.js";
import { ImageAttestor } from "../components/image-attestor.js";
import { LicensedRegistry } from "../components/licensed-registry.js";
import { standardLabels } from "../components/naming.js";
import { Network } from "../components/network.js";
import { PrivateGkeCluster } from "../components/private-gke-cluster.js";
import { PrivateGoogleApisDns } from "../components/private-google-dns.js";
import { ProjectServices } from "../components/project-services.js";
import { ControlPlaneSecrets } from "../components/secrets.js";
import { NetworkSegmentation } from "../components/segmentation.js";
import { SigningKey } from "../components/signing-key.js";
import { GkeWorkloadIdentity } from "../components/workload-identity.js";
import { WorkstationFleet } from "../components/workstation-fleet.js";
import { releaseOf, type StackConfig } from "./config.js";
import {
  assertImagesFromInternalRegistry,
  INTERNAL_REPOSITORY_ID,
  WORKSTATION_REPOSITORY_ID,
} from "./images.js";

/** Namespaces and Kubernetes service accounts of the control plane (bound to GSAs below). */
export const CONTROL_PLANE_WORKLOADS = {
  operator: { namespace: "coditect-operator", serviceAccount: "operator" },
  billing: { namespace: "coditect-billing", serviceAccount: "billing" },
} as const;

/** The operator's only project-level role: reading the operations its workstation calls return. */
export const OPERATOR_PROJECT_ROLES = ["roles/workstations.operationViewer"] as const;

export function createInfrastructure(cfg: StackConfig) {
  assertImagesFromInternalRegistry(cfg);
  const labels = (component: string) => standardLabels(component, cfg.environment);
  const apis = new ProjectServices("coditect-apis", { project: cfg.gcpProject });
  // Every resource takes its project from here, so it is created only after the APIs are enabled.
  const project = apis.readyProject;

  const network = new Network("coditect-net", { project, region: cfg.region, ...cfg.network });
  // The number comes from the project itself: a configured number can belong to another project.
  const projectNumber = gcp.organizations.getProjectOutput({ projectId: project }).apply((p) => {
    if (!p.number) throw new Error(`cannot read the project number of ${cfg.gcpProject}`);
    return p.number;
  });
  const keys = new EncryptionKeys("coditect-platform-keys", {
    project,
    projectNumber,
    location: cfg.region,
    labels: labels("encryption-keys"),
  });
  const build = new BuildIdentity("coditect-ci", { project, ...cfg.build });

  const signing = new SigningKey("coditect-signing", {
    project,
    location: cfg.region,
    keyRingName: cfg.signing.keyRingName,
    keyName: cfg.signing.keyName,
    algorithm: cfg.signing.algorithm,
    protectionLevel: cfg.signing.protectionLevel,
    activeVersion: cfg.signing.activeVersion,
    signerMembers: [build.member],
    importIds: { keyRing: cfg.adopt.signingKeyRing, cryptoKey: cfg.adopt.signingKey },
    labels: labels("signing"),
  });

  // Binary Authorization admits only images attested with the signing key (ADR 0190).
  const attestor = new ImageAttestor("coditect-release-attestor", {
    project,
    attestorName: "coditect-release",
    cryptoKeyId: signing.keyId,
    keyVersion: cfg.signing.activeVersion,
    algorithm: cfg.signing.algorithm,
    publicKeyPem: signing.publicKeyPem,
    attesterMembers: [build.member],
  });

  const gke = new PrivateGkeCluster("coditect-gke", {
    project,
    location: cfg.region,
    clusterName: cfg.gke.clusterName,
    networkId: network.network.id,
    subnetworkId: network.gkeSubnet.id,
    podsRangeName: network.podsRangeName,
    servicesRangeName: network.servicesRangeName,
    masterCidr: cfg.network.gkeMasterCidr,
    masterAuthorizedCidrs: cfg.gke.masterAuthorizedCidrs,
    releaseChannel: cfg.gke.releaseChannel,
    requiredAttestors: [attestor.attestorId],
    secretsEncryptionKeyId: keys.keyIds["gke-secrets"],
    nodeMachineType: cfg.gke.nodeMachineType,
    minNodesPerZone: cfg.gke.minNodesPerZone,
    maxNodesPerZone: cfg.gke.maxNodesPerZone,
    labels: labels("gke"),
  });

  const identity = (
    key: keyof typeof CONTROL_PLANE_WORKLOADS,
    description: string,
    projectRoles: string[] = [],
  ) =>
    new GkeWorkloadIdentity(`coditect-${key}`, {
      projectRoles,
      project,
      accountId: `coditect-${key}`,
      description,
      namespace: CONTROL_PLANE_WORKLOADS[key].namespace,
      kubernetesServiceAccount: CONTROL_PLANE_WORKLOADS[key].serviceAccount,
      workloadPool: gke.workloadPool,
    });
  const operatorIdentity = identity(
    "operator",
    "Operator: manages workstations in the CODITECT configs only",
    // Create/start/stop/delete return long-running operations the operator polls (operations.get).
    [OPERATOR_PROJECT_ROLES[0]],
  );
  const billingIdentity = identity("billing", "Billing: reads its secrets, mints registry pull tokens");

  const billingUrl = `https://${cfg.controlPlane.billingHost}`;
  const fleet = new WorkstationFleet("coditect-workstations", {
    project,
    location: cfg.region,
    networkId: network.network.id,
    subnetworkId: network.workstationsSubnet.id,
    clusterId: cfg.workstations.clusterId,
    image: releaseOf(cfg)?.workstationImage,
    idleTimeoutSeconds: cfg.workstations.idleTimeoutSeconds,
    runningTimeoutSeconds: cfg.workstations.runningTimeoutSeconds,
    tiers: cfg.workstations.tiers,
    managerMember: operatorIdentity.member,
    licenseApiUrl: billingUrl,
    importClusterId: cfg.adopt.workstationCluster,
    labels: labels("workstations"),
  });

  new NetworkSegmentation("coditect-segmentation", {
    project,
    networkId: network.network.id,
    gkeNodesCidr: cfg.network.gkeNodesCidr,
    gkePodsCidr: cfg.network.gkePodsCidr,
    gkeServicesCidr: cfg.network.gkeServicesCidr,
    gkeMasterCidr: cfg.network.gkeMasterCidr,
    workstationsCidr: cfg.network.workstationsCidr,
    privateServicesCidr: network.privateServicesCidr,
    gkeNodeServiceAccount: gke.nodeServiceAccount.email,
    workstationServiceAccount: fleet.serviceAccount.email,
    workstationControlPlaneIp: fleet.cluster.controlPlaneIp,
  });
  // Workstation egress is default-deny; Google APIs stay reachable through private.googleapis.com (ADR 0173).
  new PrivateGoogleApisDns("coditect-google-apis", {
    project,
    networkId: network.network.id,
    labels: labels("network"),
  });

  const registry = new LicensedRegistry("coditect-registry", {
    project,
    location: cfg.region,
    repositories: cfg.registry.repositories,
    internalRepositoryId: INTERNAL_REPOSITORY_ID,
    workstationRepositoryId: WORKSTATION_REPOSITORY_ID,
    kmsKeyName: keys.keyIds["artifact-registry"],
    keepRecentVersions: cfg.registry.keepRecentVersions,
    untaggedRetentionDays: cfg.registry.untaggedRetentionDays,
    tokenIssuerMembers: [billingIdentity.member],
    writerMembers: [build.member],
    // The workstation VMs read their image's repository only, never the control plane's (issue 13 L6).
    internalReaderMembers: [gke.nodeServiceAccount.member],
    workstationReaderMembers: [fleet.serviceAccount.member],
    mirrorReaderMembers: [fleet.serviceAccount.member],
    labels: labels("registry"),
  });

  const database = new Database("coditect-db", {
    project,
    region: cfg.region,
    ...cfg.database,
    databaseVersion: cfg.database.postgresVersion,
    networkId: network.network.id,
    privateServicesConnection: network.privateServicesConnection,
    encryptionKeyId: keys.keyIds["cloud-sql"],
    databaseName: "billing",
    labels: labels("database"),
  });

  const secrets = new ControlPlaneSecrets("coditect-secrets", {
    project,
    location: cfg.region,
    kmsKeyName: keys.keyIds["secret-manager"],
    readers: { billing: billingIdentity.member },
    labels: labels("secrets"),
  });

  return {
    project,
    network,
    keys,
    build,
    gke,
    operatorIdentity,
    billingIdentity,
    fleet,
    registry,
    signing,
    database,
    secrets,
    billingUrl,
  };
}

export type Infrastructure = ReturnType<typeof createInfrastructure>;
