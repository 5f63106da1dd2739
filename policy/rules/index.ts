/** Every GCP rule of the pack, one module per rule (see docs/policy.md for the list). */

import type { CoditectPolicy } from "../types.js";
import { policy as gcpArtifactregistryRepositoryCleanupPolicies } from "./gcp-artifactregistry-repository-cleanup-policies.js";
import { policy as gcpArtifactregistryRepositoryCmek } from "./gcp-artifactregistry-repository-cmek.js";
import { policy as gcpArtifactregistryRepositoryImmutableTags } from "./gcp-artifactregistry-repository-immutable-tags.js";
import { policy as gcpArtifactregistryRepositoryNoPublicAccess } from "./gcp-artifactregistry-repository-no-public-access.js";
import { policy as gcpArtifactregistryRepositoryVulnerabilityScanning } from "./gcp-artifactregistry-repository-vulnerability-scanning.js";
import { policy as gcpArtifactregistryRepositoryiammemberWorkstationImageAndMirrors } from "./gcp-artifactregistry-repositoryiammember-workstation-image-and-mirrors.js";
import { policy as gcpBinaryauthorizationPolicyRequireSignatures } from "./gcp-binaryauthorization-policy-require-signatures.js";
import { policy as gcpComputeFirewallNoPublicAllPorts } from "./gcp-compute-firewall-no-public-all-ports.js";
import { policy as gcpComputeFirewallNoPublicRdp } from "./gcp-compute-firewall-no-public-rdp.js";
import { policy as gcpComputeFirewallNoPublicSsh } from "./gcp-compute-firewall-no-public-ssh.js";
import { policy as gcpComputeFirewallWorkstationEgressDefaultDeny } from "./gcp-compute-firewall-workstation-egress-default-deny.js";
import { policy as gcpComputeNetworkCustomSubnets } from "./gcp-compute-network-custom-subnets.js";
import { policy as gcpComputeSubnetworkFlowLogs } from "./gcp-compute-subnetwork-flow-logs.js";
import { policy as gcpComputeSubnetworkPrivateGoogleAccess } from "./gcp-compute-subnetwork-private-google-access.js";
import { policy as gcpContainerClusterBinaryAuthorization } from "./gcp-container-cluster-binary-authorization.js";
import { policy as gcpContainerClusterClientCertificateDisabled } from "./gcp-container-cluster-client-certificate-disabled.js";
import { policy as gcpContainerClusterDeletionProtection } from "./gcp-container-cluster-deletion-protection.js";
import { policy as gcpContainerClusterLegacyAbacDisabled } from "./gcp-container-cluster-legacy-abac-disabled.js";
import { policy as gcpContainerClusterLoggingMonitoring } from "./gcp-container-cluster-logging-monitoring.js";
import { policy as gcpContainerClusterMasterAuthorizedNetworks } from "./gcp-container-cluster-master-authorized-networks.js";
import { policy as gcpContainerClusterNetworkPolicy } from "./gcp-container-cluster-network-policy.js";
import { policy as gcpContainerClusterPrivateNodes } from "./gcp-container-cluster-private-nodes.js";
import { policy as gcpContainerClusterReleaseChannel } from "./gcp-container-cluster-release-channel.js";
import { policy as gcpContainerClusterSecretsEncryption } from "./gcp-container-cluster-secrets-encryption.js";
import { policy as gcpContainerClusterShieldedNodes } from "./gcp-container-cluster-shielded-nodes.js";
import { policy as gcpContainerClusterWorkloadIdentity } from "./gcp-container-cluster-workload-identity.js";
import { policy as gcpContainerNodepoolAutoRepairUpgrade } from "./gcp-container-nodepool-auto-repair-upgrade.js";
import { policy as gcpContainerNodepoolCosImage } from "./gcp-container-nodepool-cos-image.js";
import { policy as gcpContainerNodepoolGkeMetadata } from "./gcp-container-nodepool-gke-metadata.js";
import { policy as gcpContainerNodepoolServiceAccount } from "./gcp-container-nodepool-service-account.js";
import { policy as gcpContainerNodepoolShieldedNodes } from "./gcp-container-nodepool-shielded-nodes.js";
import { policy as gcpIamBindingNoBasicRoles } from "./gcp-iam-binding-no-basic-roles.js";
import { policy as gcpIamBindingNoPublicMembers } from "./gcp-iam-binding-no-public-members.js";
import { policy as gcpIamWorkloadidentitypoolproviderAttributeCondition } from "./gcp-iam-workloadidentitypoolprovider-attribute-condition.js";
import { policy as gcpKmsCryptokeyDeletionProtection } from "./gcp-kms-cryptokey-deletion-protection.js";
import { policy as gcpKmsCryptokeyDestroyScheduledDuration } from "./gcp-kms-cryptokey-destroy-scheduled-duration.js";
import { policy as gcpKmsCryptokeyNoPublicIam } from "./gcp-kms-cryptokey-no-public-iam.js";
import { policy as gcpKmsCryptokeyRotation } from "./gcp-kms-cryptokey-rotation.js";
import { policy as gcpKmsCryptokeySigningAlgorithm } from "./gcp-kms-cryptokey-signing-algorithm.js";
import { policy as gcpKmsCryptokeySigningHsm } from "./gcp-kms-cryptokey-signing-hsm.js";
import { policy as gcpProjectsIammemberNoServiceAccountImpersonation } from "./gcp-projects-iammember-no-service-account-impersonation.js";
import { policy as gcpSecretmanagerSecretCmek } from "./gcp-secretmanager-secret-cmek.js";
import { policy as gcpSecretmanagerSecretNoPublicIam } from "./gcp-secretmanager-secret-no-public-iam.js";
import { policy as gcpServiceaccountIammemberPullIdentityTokenCreatorOnly } from "./gcp-serviceaccount-iammember-pull-identity-token-creator-only.js";
import { policy as gcpServiceaccountKeyNoUserManaged } from "./gcp-serviceaccount-key-no-user-managed.js";
import { policy as gcpSqlDatabaseinstanceBackups } from "./gcp-sql-databaseinstance-backups.js";
import { policy as gcpSqlDatabaseinstanceDeletionProtection } from "./gcp-sql-databaseinstance-deletion-protection.js";
import { policy as gcpSqlDatabaseinstanceNoOpenAuthorizedNetworks } from "./gcp-sql-databaseinstance-no-open-authorized-networks.js";
import { policy as gcpSqlDatabaseinstanceNoPublicIp } from "./gcp-sql-databaseinstance-no-public-ip.js";
import { policy as gcpSqlDatabaseinstancePostgresLogFlags } from "./gcp-sql-databaseinstance-postgres-log-flags.js";
import { policy as gcpSqlDatabaseinstanceSslRequired } from "./gcp-sql-databaseinstance-ssl-required.js";
import { policy as gcpWorkstationsWorkstationclusterPrivateEndpoint } from "./gcp-workstations-workstationcluster-private-endpoint.js";
import { policy as gcpWorkstationsWorkstationconfigConfidentialCompute } from "./gcp-workstations-workstationconfig-confidential-compute.js";
import { policy as gcpWorkstationsWorkstationconfigConfidentialMachineType } from "./gcp-workstations-workstationconfig-confidential-machine-type.js";
import { policy as gcpWorkstationsWorkstationconfigIdleTimeout } from "./gcp-workstations-workstationconfig-idle-timeout.js";
import { policy as gcpWorkstationsWorkstationconfigImageDigest } from "./gcp-workstations-workstationconfig-image-digest.js";
import { policy as gcpWorkstationsWorkstationconfigImageOwnRegistry } from "./gcp-workstations-workstationconfig-image-own-registry.js";
import { policy as gcpWorkstationsWorkstationconfigNoPublicIp } from "./gcp-workstations-workstationconfig-no-public-ip.js";
import { policy as gcpWorkstationsWorkstationconfigRunningTimeout } from "./gcp-workstations-workstationconfig-running-timeout.js";
import { policy as gcpWorkstationsWorkstationconfigServiceAccount } from "./gcp-workstations-workstationconfig-service-account.js";
import { policy as gcpWorkstationsWorkstationconfigShieldedVm } from "./gcp-workstations-workstationconfig-shielded-vm.js";
import { policy as gcpWorkstationsWorkstationconfigSshDisabled } from "./gcp-workstations-workstationconfig-ssh-disabled.js";
import { policy as gcpWorkstationsWorkstationconfigSudoDisabled } from "./gcp-workstations-workstationconfig-sudo-disabled.js";

/** The GCP policies, in rule-name order. */
export const policies: CoditectPolicy[] = [
  gcpArtifactregistryRepositoryCleanupPolicies,
  gcpArtifactregistryRepositoryCmek,
  gcpArtifactregistryRepositoryImmutableTags,
  gcpArtifactregistryRepositoryNoPublicAccess,
  gcpArtifactregistryRepositoryVulnerabilityScanning,
  gcpArtifactregistryRepositoryiammemberWorkstationImageAndMirrors,
  gcpBinaryauthorizationPolicyRequireSignatures,
  gcpComputeFirewallNoPublicAllPorts,
  gcpComputeFirewallNoPublicRdp,
  gcpComputeFirewallNoPublicSsh,
  gcpComputeFirewallWorkstationEgressDefaultDeny,
  gcpComputeNetworkCustomSubnets,
  gcpComputeSubnetworkFlowLogs,
  gcpComputeSubnetworkPrivateGoogleAccess,
  gcpContainerClusterBinaryAuthorization,
  gcpContainerClusterClientCertificateDisabled,
  gcpContainerClusterDeletionProtection,
  gcpContainerClusterLegacyAbacDisabled,
  gcpContainerClusterLoggingMonitoring,
  gcpContainerClusterMasterAuthorizedNetworks,
  gcpContainerClusterNetworkPolicy,
  gcpContainerClusterPrivateNodes,
  gcpContainerClusterReleaseChannel,
  gcpContainerClusterSecretsEncryption,
  gcpContainerClusterShieldedNodes,
  gcpContainerClusterWorkloadIdentity,
  gcpContainerNodepoolAutoRepairUpgrade,
  gcpContainerNodepoolCosImage,
  gcpContainerNodepoolGkeMetadata,
  gcpContainerNodepoolServiceAccount,
  gcpContainerNodepoolShieldedNodes,
  gcpIamBindingNoBasicRoles,
  gcpIamBindingNoPublicMembers,
  gcpIamWorkloadidentitypoolproviderAttributeCondition,
  gcpKmsCryptokeyDeletionProtection,
  gcpKmsCryptokeyDestroyScheduledDuration,
  gcpKmsCryptokeyNoPublicIam,
  gcpKmsCryptokeyRotation,
  gcpKmsCryptokeySigningAlgorithm,
  gcpKmsCryptokeySigningHsm,
  gcpProjectsIammemberNoServiceAccountImpersonation,
  gcpSecretmanagerSecretCmek,
  gcpSecretmanagerSecretNoPublicIam,
  gcpServiceaccountKeyNoUserManaged,
  gcpServiceaccountIammemberPullIdentityTokenCreatorOnly,
  gcpSqlDatabaseinstanceBackups,
  gcpSqlDatabaseinstanceDeletionProtection,
  gcpSqlDatabaseinstanceNoOpenAuthorizedNetworks,
  gcpSqlDatabaseinstanceNoPublicIp,
  gcpSqlDatabaseinstancePostgresLogFlags,
  gcpSqlDatabaseinstanceSslRequired,
  gcpWorkstationsWorkstationclusterPrivateEndpoint,
  gcpWorkstationsWorkstationconfigConfidentialCompute,
  gcpWorkstationsWorkstationconfigConfidentialMachineType,
  gcpWorkstationsWorkstationconfigIdleTimeout,
  gcpWorkstationsWorkstationconfigImageDigest,
  gcpWorkstationsWorkstationconfigImageOwnRegistry,
  gcpWorkstationsWorkstationconfigNoPublicIp,
  gcpWorkstationsWorkstationconfigRunningTimeout,
  gcpWorkstationsWorkstationconfigServiceAccount,
  gcpWorkstationsWorkstationconfigShieldedVm,
  gcpWorkstationsWorkstationconfigSshDisabled,
  gcpWorkstationsWorkstationconfigSudoDisabled,
];
