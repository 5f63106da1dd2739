import { ruleCases } from "../testing/rule-cases.js";
import { policy as binaryAuthorization } from "./gcp-container-cluster-binary-authorization.js";
import { policy as clientCertificate } from "./gcp-container-cluster-client-certificate-disabled.js";
import { policy as deletionProtection } from "./gcp-container-cluster-deletion-protection.js";
import { policy as legacyAbac } from "./gcp-container-cluster-legacy-abac-disabled.js";
import { policy as loggingMonitoring } from "./gcp-container-cluster-logging-monitoring.js";
import { policy as authorizedNetworks } from "./gcp-container-cluster-master-authorized-networks.js";
import { policy as networkPolicy } from "./gcp-container-cluster-network-policy.js";
import { policy as privateNodes } from "./gcp-container-cluster-private-nodes.js";
import { policy as releaseChannel } from "./gcp-container-cluster-release-channel.js";
import { policy as secretsEncryption } from "./gcp-container-cluster-secrets-encryption.js";
import { policy as shieldedNodes } from "./gcp-container-cluster-shielded-nodes.js";
import { policy as workloadIdentity } from "./gcp-container-cluster-workload-identity.js";
import { policy as autoRepairUpgrade } from "./gcp-container-nodepool-auto-repair-upgrade.js";
import { policy as cosImage } from "./gcp-container-nodepool-cos-image.js";
import { policy as gkeMetadata } from "./gcp-container-nodepool-gke-metadata.js";
import { policy as nodeServiceAccount } from "./gcp-container-nodepool-service-account.js";
import { policy as nodeShielded } from "./gcp-container-nodepool-shielded-nodes.js";

const GKE = "gke";
const POOL = "gke-pool";

ruleCases([
  {
    policy: privateNodes,
    breaks: [
      {
        title: "nodes are public",
        resource: GKE,
        mutate: (i) => delete i.privateClusterConfig,
        message: /enablePrivateNodes is unset: nodes get public IPs/,
      },
    ],
  },
  {
    policy: authorizedNetworks,
    breaks: [
      {
        title: "0.0.0.0/0 is authorized",
        resource: GKE,
        mutate: (i) => i.masterAuthorizedNetworksConfig.cidrBlocks.push({ cidrBlock: "0.0.0.0/0" }),
        message: /cidrBlocks contains 0.0.0.0\/0/,
      },
      {
        title: "no authorized networks are configured",
        resource: GKE,
        mutate: (i) => delete i.masterAuthorizedNetworksConfig,
        message: /masterAuthorizedNetworksConfig is unset/,
      },
      {
        title: "all Google Cloud IPs are allowed",
        resource: GKE,
        mutate: (i) => (i.masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled = true),
        message: /gcpPublicCidrsAccessEnabled is true/,
      },
    ],
    passes: [
      {
        title: "the endpoint is private",
        resource: GKE,
        mutate: (i) => {
          delete i.masterAuthorizedNetworksConfig;
          i.privateClusterConfig.enablePrivateEndpoint = true;
        },
      },
    ],
  },
  {
    policy: workloadIdentity,
    breaks: [
      {
        title: "the workload pool is unset",
        resource: GKE,
        mutate: (i) => delete i.workloadIdentityConfig,
        message: /workloadPool is not set/,
      },
    ],
    passes: [
      {
        title: "the cluster is Autopilot",
        resource: GKE,
        mutate: (i) => {
          delete i.workloadIdentityConfig;
          i.enableAutopilot = true;
        },
      },
    ],
  },
  {
    policy: legacyAbac,
    breaks: [
      {
        title: "legacy ABAC is on",
        resource: GKE,
        mutate: (i) => (i.enableLegacyAbac = true),
        message: /enableLegacyAbac is true/,
      },
    ],
  },
  {
    policy: clientCertificate,
    breaks: [
      {
        title: "a client certificate is issued",
        resource: GKE,
        mutate: (i) => (i.masterAuth = { clientCertificateConfig: { issueClientCertificate: true } }),
        message: /issueClientCertificate is true/,
      },
    ],
  },
  {
    policy: releaseChannel,
    breaks: [
      {
        title: "the channel is UNSPECIFIED",
        resource: GKE,
        mutate: (i) => (i.releaseChannel.channel = "UNSPECIFIED"),
        message: /releaseChannel.channel is "UNSPECIFIED"/,
      },
      {
        title: "no channel is set",
        resource: GKE,
        mutate: (i) => delete i.releaseChannel,
        message: /releaseChannel.channel is unset/,
      },
    ],
  },
  {
    policy: binaryAuthorization,
    breaks: [
      {
        title: "Binary Authorization is disabled",
        resource: GKE,
        mutate: (i) => (i.binaryAuthorization.evaluationMode = "DISABLED"),
        message: /unsigned images can be deployed/,
      },
    ],
  },
  {
    policy: secretsEncryption,
    breaks: [
      {
        title: "Secrets are decrypted at rest",
        resource: GKE,
        mutate: (i) => (i.databaseEncryption = { state: "DECRYPTED" }),
        message: /databaseEncryption.state is "DECRYPTED"/,
      },
      {
        title: "ENCRYPTED has no key",
        resource: GKE,
        mutate: (i) => delete i.databaseEncryption.keyName,
        message: /databaseEncryption.state is "ENCRYPTED"/,
      },
    ],
  },
  {
    policy: shieldedNodes,
    breaks: [
      {
        title: "shielded nodes are off",
        resource: GKE,
        mutate: (i) => (i.enableShieldedNodes = false),
        message: /enableShieldedNodes is false/,
      },
    ],
  },
  {
    policy: networkPolicy,
    breaks: [
      {
        title: "legacy datapath without network policy",
        resource: GKE,
        mutate: (i) => delete i.datapathProvider,
        message: /NetworkPolicies are ignored/,
      },
    ],
    passes: [
      {
        title: "Calico network policy is enabled",
        resource: GKE,
        mutate: (i) => {
          delete i.datapathProvider;
          i.networkPolicy = { enabled: true, provider: "CALICO" };
        },
      },
    ],
  },
  {
    policy: deletionProtection,
    breaks: [
      {
        title: "deletion protection is off",
        resource: GKE,
        mutate: (i) => (i.deletionProtection = false),
        message: /deletionProtection is false/,
      },
    ],
    passes: [
      {
        title: "deletionProtection is unset (default true)",
        resource: GKE,
        mutate: (i) => delete i.deletionProtection,
      },
    ],
  },
  {
    policy: loggingMonitoring,
    breaks: [
      {
        title: "logging is none",
        resource: GKE,
        mutate: (i) => (i.loggingService = "none"),
        message: /loggingService is "none"/,
      },
      {
        title: "monitoring is none",
        resource: GKE,
        mutate: (i) => (i.monitoringService = "none"),
        message: /monitoringService is "none"/,
      },
    ],
  },
  {
    policy: autoRepairUpgrade,
    breaks: [
      {
        title: "auto repair is off",
        resource: POOL,
        mutate: (i) => (i.management.autoRepair = false),
        message: /autoRepair is false/,
      },
      {
        title: "auto upgrade is off",
        resource: POOL,
        mutate: (i) => (i.management.autoUpgrade = false),
        message: /autoUpgrade is false/,
      },
    ],
    passes: [
      { title: "management is unset (defaults on)", resource: POOL, mutate: (i) => delete i.management },
    ],
  },
  {
    policy: nodeShielded,
    breaks: [
      {
        title: "secure boot is unset",
        resource: POOL,
        mutate: (i) => delete i.nodeConfig.shieldedInstanceConfig,
        message: /enableSecureBoot is not true/,
      },
      {
        title: "integrity monitoring is off",
        resource: POOL,
        mutate: (i) => (i.nodeConfig.shieldedInstanceConfig.enableIntegrityMonitoring = false),
        message: /enableIntegrityMonitoring is false/,
      },
    ],
  },
  {
    policy: gkeMetadata,
    breaks: [
      {
        title: "the node metadata is exposed",
        resource: POOL,
        mutate: (i) => (i.nodeConfig.workloadMetadataConfig.mode = "GCE_METADATA"),
        message: /mode is "GCE_METADATA"/,
      },
      {
        title: "legacy endpoints are enabled",
        resource: POOL,
        mutate: (i) => (i.nodeConfig.metadata["disable-legacy-endpoints"] = "false"),
        message: /disable-legacy-endpoints/,
      },
    ],
  },
  {
    policy: cosImage,
    breaks: [
      {
        title: "nodes run Ubuntu",
        resource: POOL,
        mutate: (i) => (i.nodeConfig.imageType = "UBUNTU_CONTAINERD"),
        message: /imageType is "UBUNTU_CONTAINERD"/,
      },
    ],
    passes: [
      {
        title: "imageType is unset (COS default)",
        resource: POOL,
        mutate: (i) => delete i.nodeConfig.imageType,
      },
    ],
  },
  {
    policy: nodeServiceAccount,
    breaks: [
      {
        title: "no service account is set",
        resource: POOL,
        mutate: (i) => delete i.nodeConfig.serviceAccount,
        message: /serviceAccount is unset/,
      },
      {
        title: "the default compute account is named",
        resource: POOL,
        mutate: (i) => (i.nodeConfig.serviceAccount = "42-compute@developer.gserviceaccount.com"),
        message: /the Compute Engine default account/,
      },
    ],
  },
]);
