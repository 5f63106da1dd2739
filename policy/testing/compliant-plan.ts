/**
 * Test infrastructure: a hand-built plan in the `npm run plan -- --json` format in which every resource
 * complies with every rule of the pack (advisory ones included). Rule tests take one resource from it,
 * break one field and expect exactly that rule to fire — so each mutation proves the rule, and the
 * untouched plan proves the rules do not misfire on a realistic, hardened stack.
 */
import type { Plan, PlanResource } from "../plan.js";

const PROJECT = "coditect-citus-prod";
const STACK = "test";
const DIGEST = `sha256:${"4f".repeat(32)}`;
export const WORKSTATION_IMAGE = `us-central1-docker.pkg.dev/${PROJECT}/coditect-licensed/coditect-workstation@${DIGEST}`;
export const OPERATOR_IMAGE = `us-central1-docker.pkg.dev/${PROJECT}/coditect-licensed/operator@${DIGEST}`;

function resource(type: string, name: string, inputs: Record<string, unknown>): PlanResource {
  return {
    urn: `urn:pulumi:${STACK}::coditect-control-plane::${type}::${name}`,
    type,
    name,
    parent: null,
    inputs,
    dependencies: [],
  };
}

const sa = (account: string) => `${account}@${PROJECT}.iam.gserviceaccount.com`;
const kmsKey = (key: string) =>
  `projects/${PROJECT}/locations/us-central1/keyRings/coditect/cryptoKeys/${key}`;

/** A fresh hardened securityContext per container (mutations must not leak between containers). */
const secure = () => ({
  runAsNonRoot: true,
  runAsUser: 10001,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
});

/** Every resource of the compliant plan, by name. */
export function compliantResources(): PlanResource[] {
  return [
    resource("gcp:compute/network:Network", "vpc", { name: "coditect-vpc", autoCreateSubnetworks: false }),
    resource("gcp:compute/subnetwork:Subnetwork", "subnet", {
      network: "coditect-vpc",
      region: "us-central1",
      ipCidrRange: "10.10.0.0/20",
      privateIpGoogleAccess: true,
      logConfig: {
        aggregationInterval: "INTERVAL_5_SEC",
        flowSampling: 0.5,
        metadata: "INCLUDE_ALL_METADATA",
      },
    }),
    resource("gcp:compute/subnetwork:Subnetwork", "proxy-subnet", {
      network: "coditect-vpc",
      region: "us-central1",
      ipCidrRange: "10.20.0.0/23",
      purpose: "REGIONAL_MANAGED_PROXY",
      role: "ACTIVE",
    }),
    resource("gcp:compute/firewall:Firewall", "allow-iap-ssh", {
      network: "coditect-vpc",
      direction: "INGRESS",
      sourceRanges: ["35.235.240.0/20"],
      allows: [{ protocol: "tcp", ports: ["22"] }],
    }),
    resource("gcp:compute/firewall:Firewall", "allow-https", {
      network: "coditect-vpc",
      sourceRanges: ["0.0.0.0/0"],
      allows: [{ protocol: "tcp", ports: ["443"] }],
      targetTags: ["gateway"],
    }),
    resource("gcp:compute/firewall:Firewall", "ws-google-apis", {
      network: "coditect-vpc",
      direction: "EGRESS",
      destinationRanges: ["199.36.153.8/30"],
      targetServiceAccounts: [sa("workstations")],
      allows: [{ protocol: "tcp", ports: ["443"] }],
    }),
    resource("gcp:compute/firewall:Firewall", "ws-deny-egress", {
      network: "coditect-vpc",
      direction: "EGRESS",
      priority: 65000,
      destinationRanges: ["0.0.0.0/0"],
      targetServiceAccounts: [sa("workstations")],
      denies: [{ protocol: "all" }],
    }),
    resource("gcp:artifactregistry/repository:Repository", "licensed-registry", {
      repositoryId: "coditect-licensed",
      location: "us-central1",
      project: PROJECT,
      format: "DOCKER",
      dockerConfig: { immutableTags: true },
      kmsKeyName: kmsKey("artifact-cmek"),
      cleanupPolicies: [
        {
          id: "delete-untagged",
          action: "DELETE",
          condition: { tagState: "UNTAGGED", olderThan: "604800s" },
        },
        { id: "keep-recent", action: "KEEP", mostRecentVersions: { keepCount: 20 } },
      ],
    }),
    resource("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember", "registry-pull", {
      repository: "coditect-licensed",
      location: "us-central1",
      role: "roles/artifactregistry.reader",
      member: `serviceAccount:${sa("pull-pro")}`,
    }),
    // Registry pull identities (issue 15): billing mints their tokens, and may do nothing else with them.
    resource("gcp:serviceaccount/account:Account", "pull-pro-account", { accountId: "pull-pro" }),
    resource("gcp:serviceaccount/account:Account", "billing-account", { accountId: "billing" }),
    resource("gcp:serviceaccount/iAMMember:IAMMember", "pull-pro-token-issuer", {
      serviceAccountId: `projects/${PROJECT}/serviceAccounts/${sa("pull-pro")}`,
      role: "roles/iam.serviceAccountTokenCreator",
      member: `serviceAccount:${sa("billing")}`,
    }),
    resource("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember", "workstation-image-reader", {
      repository: "coditect-licensed",
      location: "us-central1",
      role: "roles/artifactregistry.reader",
      member: `serviceAccount:${sa("workstations")}`,
    }),
    resource("gcp:kms/cryptoKey:CryptoKey", "signing-key", {
      name: "cosign-signing-key",
      keyRing: "projects/coditect-citus-prod/locations/us-central1/keyRings/coditect-container-signing",
      purpose: "ASYMMETRIC_SIGN",
      versionTemplate: { algorithm: "EC_SIGN_P384_SHA384", protectionLevel: "HSM" },
      deletionPolicy: "PREVENT",
    }),
    resource("gcp:kms/cryptoKey:CryptoKey", "artifact-cmek", {
      name: "artifact-cmek",
      keyRing: "projects/coditect-citus-prod/locations/us-central1/keyRings/coditect",
      rotationPeriod: "7776000s",
      destroyScheduledDuration: "2592000s",
      deletionPolicy: "PREVENT",
    }),
    resource("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "signer", {
      cryptoKeyId: kmsKey("cosign-signing-key"),
      role: "roles/cloudkms.signerVerifier",
      member: `serviceAccount:${sa("release-signer")}`,
    }),
    resource("gcp:workstations/workstationCluster:WorkstationCluster", "ws-cluster", {
      workstationClusterId: "coditect-ws-cluster",
      location: "us-central1",
      network: "coditect-vpc",
      subnetwork: "subnet",
      privateClusterConfig: { enablePrivateEndpoint: true },
    }),
    resource("gcp:workstations/workstationConfig:WorkstationConfig", "ws-standard", {
      workstationConfigId: "coditect-standard",
      workstationClusterId: "coditect-ws-cluster",
      location: "us-central1",
      idleTimeout: "1800s",
      runningTimeout: "43200s",
      host: {
        gceInstance: {
          machineType: "n2d-standard-4",
          serviceAccount: sa("workstations"),
          disablePublicIpAddresses: true,
          disableSsh: true,
          shieldedInstanceConfig: {
            enableSecureBoot: true,
            enableVtpm: true,
            enableIntegrityMonitoring: true,
          },
          confidentialInstanceConfig: { enableConfidentialCompute: true },
        },
      },
      container: { image: WORKSTATION_IMAGE, env: { CLOUD_WORKSTATIONS_CONFIG_DISABLE_SUDO: "true" } },
    }),
    resource("gcp:container/cluster:Cluster", "gke", {
      name: "coditect-control-plane",
      location: "us-central1",
      network: "coditect-vpc",
      subnetwork: "subnet",
      removeDefaultNodePool: true,
      initialNodeCount: 1,
      privateClusterConfig: { enablePrivateNodes: true, masterIpv4CidrBlock: "172.16.0.0/28" },
      masterAuthorizedNetworksConfig: { cidrBlocks: [{ cidrBlock: "10.0.0.0/8", displayName: "vpc" }] },
      workloadIdentityConfig: { workloadPool: `${PROJECT}.svc.id.goog` },
      releaseChannel: { channel: "REGULAR" },
      binaryAuthorization: { evaluationMode: "PROJECT_SINGLETON_POLICY_ENFORCE" },
      databaseEncryption: { state: "ENCRYPTED", keyName: kmsKey("gke-secrets") },
      datapathProvider: "ADVANCED_DATAPATH",
      deletionProtection: true,
    }),
    resource("gcp:binaryauthorization/attestor:Attestor", "release-attestor", {
      name: "coditect-release",
      attestationAuthorityNote: {
        noteReference: `projects/${PROJECT}/notes/coditect-release-note`,
        publicKeys: [
          {
            id: `//cloudkms.googleapis.com/v1/${kmsKey("signing")}/cryptoKeyVersions/1`,
            pkixPublicKey: {
              publicKeyPem: "-----BEGIN PUBLIC KEY-----",
              signatureAlgorithm: "ECDSA_P384_SHA384",
            },
          },
        ],
      },
    }),
    resource("gcp:binaryauthorization/policy:Policy", "gke-admission", {
      globalPolicyEvaluationMode: "ENABLE",
      defaultAdmissionRule: {
        evaluationMode: "REQUIRE_ATTESTATION",
        enforcementMode: "ENFORCED_BLOCK_AND_AUDIT_LOG",
        requireAttestationsBies: [`projects/${PROJECT}/attestors/coditect-release`],
      },
    }),
    resource("gcp:container/nodePool:NodePool", "gke-pool", {
      cluster: "coditect-control-plane",
      location: "us-central1",
      management: { autoRepair: true, autoUpgrade: true },
      nodeConfig: {
        machineType: "e2-standard-4",
        imageType: "COS_CONTAINERD",
        serviceAccount: sa("gke-nodes"),
        shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
        workloadMetadataConfig: { mode: "GKE_METADATA" },
        metadata: { "disable-legacy-endpoints": "true" },
      },
    }),
    resource("gcp:sql/databaseInstance:DatabaseInstance", "billing-db", {
      databaseVersion: "POSTGRES_16",
      region: "us-central1",
      deletionProtection: true,
      settings: {
        tier: "db-custom-2-7680",
        availabilityType: "REGIONAL",
        ipConfiguration: { ipv4Enabled: false, privateNetwork: "coditect-vpc", sslMode: "ENCRYPTED_ONLY" },
        backupConfiguration: { enabled: true, pointInTimeRecoveryEnabled: true },
        databaseFlags: ["log_connections", "log_disconnections", "log_checkpoints", "log_lock_waits"].map(
          (name) => ({
            name,
            value: "on",
          }),
        ),
      },
    }),
    resource("gcp:secretmanager/secret:Secret", "stripe-key", {
      secretId: "stripe-api-key",
      replication: { auto: { customerManagedEncryption: { kmsKeyName: kmsKey("secrets-cmek") } } },
    }),
    resource("gcp:secretmanager/secretIamMember:SecretIamMember", "stripe-key-reader", {
      secretId: "stripe-api-key",
      role: "roles/secretmanager.secretAccessor",
      member: `serviceAccount:${sa("billing")}`,
    }),
    resource("gcp:projects/iAMMember:IAMMember", "nodes-log-writer", {
      project: PROJECT,
      role: "roles/logging.logWriter",
      member: `serviceAccount:${sa("gke-nodes")}`,
    }),
    resource("gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider", "github-oidc", {
      workloadIdentityPoolId: "coditect-ci-github",
      workloadIdentityPoolProviderId: "github",
      attributeMapping: { "google.subject": "assertion.sub", "attribute.repository": "assertion.repository" },
      attributeCondition: 'assertion.repository == "coditect-ai/coditect-control-plane"',
      oidc: { issuerUri: "https://token.actions.githubusercontent.com" },
    }),
    resource("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "operator-role", {
      metadata: { name: "coditect-operator" },
      rules: [
        {
          apiGroups: ["coditect.ai"],
          resources: ["licenses", "workstations", "containersessions"],
          verbs: ["get", "list", "watch", "update", "patch"],
        },
        { apiGroups: ["coditect.ai"], resources: ["workstations/status"], verbs: ["get", "update", "patch"] },
        { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
        {
          apiGroups: [""],
          resources: ["secrets"],
          resourceNames: ["operator-license-signing"],
          verbs: ["get"],
        },
        { apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] },
      ],
    }),
    resource("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "billing-role", {
      metadata: { name: "coditect-billing" },
      rules: [
        {
          apiGroups: ["coditect.ai"],
          resources: ["licenses"],
          verbs: ["get", "list", "create", "update", "delete"],
        },
        { apiGroups: ["coditect.ai"], resources: ["workstations"], verbs: ["get", "list", "create"] },
        {
          apiGroups: ["coditect.ai"],
          resources: ["containersessions"],
          verbs: ["list", "create", "patch", "delete"],
        },
        { apiGroups: ["coditect.ai"], resources: ["containersessions/status"], verbs: ["patch"] },
        { apiGroups: [""], resources: ["namespaces"], verbs: ["get", "create"] },
      ],
    }),
    resource("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "operator-binding", {
      metadata: { name: "coditect-operator" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "coditect-operator" },
      subjects: [{ kind: "ServiceAccount", name: "coditect-operator", namespace: "coditect-system" }],
    }),
    resource("kubernetes:apps/v1:Deployment", "operator", {
      metadata: { name: "coditect-operator", namespace: "coditect-system" },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "coditect-operator" } },
        template: {
          metadata: { labels: { app: "coditect-operator" } },
          spec: {
            serviceAccountName: "coditect-operator",
            securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
            initContainers: [
              {
                name: "migrate",
                image: OPERATOR_IMAGE,
                securityContext: secure(),
                resources: limits("100m", "64Mi"),
              },
            ],
            containers: [
              {
                name: "operator",
                image: OPERATOR_IMAGE,
                securityContext: secure(),
                resources: limits("500m", "256Mi"),
              },
            ],
          },
        },
      },
    }),
    resource("kubernetes:batch/v1:CronJob", "sweeper", {
      metadata: { name: "session-sweeper", namespace: "coditect-system" },
      spec: {
        schedule: "*/5 * * * *",
        jobTemplate: {
          spec: {
            template: {
              spec: {
                restartPolicy: "Never",
                containers: [
                  {
                    name: "sweep",
                    image: OPERATOR_IMAGE,
                    securityContext: secure(),
                    resources: limits("100m", "64Mi"),
                  },
                ],
              },
            },
          },
        },
      },
    }),
  ];
}

function limits(cpu: string, memory: string) {
  return { requests: { cpu, memory }, limits: { cpu, memory } };
}

/** The compliant plan (a fresh deep copy each call, so tests can mutate it freely). */
export function compliantPlan(): Plan {
  return { project: "coditect-control-plane", stack: STACK, resources: compliantResources() };
}
