/**
 * PrivateGkeCluster: a regional, private GKE Standard cluster for the control plane.
 *
 * Private nodes and a private endpoint reachable only from authorized internal ranges, Workload Identity,
 * a release channel, shielded nodes, Binary Authorization (a project policy admitting only our registry,
 * enforced by the cluster), application-layer
 * secrets encryption with our KMS key, Calico network policy, the Secret Manager CSI add-on, no default
 * node pool and one managed node pool with its own minimal service account, auto repair and auto upgrade.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { childName, serviceAccountId } from "./naming.js";

/** The only project roles GKE nodes need (Google's least-privilege node service account). */
export const NODE_SERVICE_ACCOUNT_ROLES = [
  "roles/logging.logWriter",
  "roles/monitoring.metricWriter",
  "roles/monitoring.viewer",
  "roles/stackdriver.resourceMetadata.writer",
  "roles/autoscaling.metricsWriter",
] as const;

export interface PrivateGkeClusterArgs {
  project: pulumi.Input<string>;
  /** Region: the cluster is regional (control plane and nodes across zones). */
  location: pulumi.Input<string>;
  clusterName: string;
  networkId: pulumi.Input<string>;
  subnetworkId: pulumi.Input<string>;
  podsRangeName: string;
  servicesRangeName: string;
  /** /28 for the control plane's private endpoint. */
  masterCidr: string;
  /** Internal CIDRs allowed to reach the control plane (ops VPN/bastion). */
  masterAuthorizedCidrs: string[];
  releaseChannel: "RAPID" | "REGULAR" | "STABLE";
  /**
   * Image name patterns the Binary Authorization policy admits (e.g. `<region>-docker.pkg.dev/<project>/coditect-platform/**`).
   * Everything else is denied; Google-maintained system images are allowed by the global policy.
   */
  admittedImagePatterns: string[];
  /** KMS key for application-layer secrets encryption. */
  secretsEncryptionKeyId: pulumi.Input<string>;
  nodeMachineType: string;
  minNodesPerZone: number;
  maxNodesPerZone: number;
  labels: Record<string, string>;
}

export class PrivateGkeCluster extends pulumi.ComponentResource {
  readonly cluster: gcp.container.Cluster;
  readonly nodePool: gcp.container.NodePool;
  readonly nodeServiceAccount: gcp.serviceaccount.Account;
  readonly admissionPolicy: gcp.binaryauthorization.Policy;
  /** Private control-plane endpoint (IP). */
  readonly endpoint: pulumi.Output<string>;
  /** `<project>.svc.id.goog`: the Workload Identity pool for KSA → GSA bindings. */
  readonly workloadPool: pulumi.Output<string>;
  /** Kubeconfig using gke-gcloud-auth-plugin (no static credentials). */
  readonly kubeconfig: pulumi.Output<string>;

  constructor(name: string, args: PrivateGkeClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    if (args.admittedImagePatterns.length === 0) {
      throw new Error("PrivateGkeCluster admittedImagePatterns must name at least one registry path");
    }
    super("coditect:index:PrivateGkeCluster", name, {}, opts);
    const parent = { parent: this };
    this.nodeServiceAccount = new gcp.serviceaccount.Account(
      childName(name, "nodes"),
      {
        project: args.project,
        accountId: serviceAccountId(["coditect-gke-nodes"]),
        displayName: "GKE nodes of the control-plane cluster",
        description: "Minimal node identity; workloads use Workload Identity, never this account",
      },
      parent,
    );
    const roleGrants = NODE_SERVICE_ACCOUNT_ROLES.map(
      (role) =>
        new gcp.projects.IAMMember(
          childName(name, `nodes-${role.split("/")[1]!.replace(/\./g, "-").toLowerCase()}`),
          { project: args.project, role, member: this.nodeServiceAccount.member },
          parent,
        ),
    );
    const nodeSecurity = {
      serviceAccount: this.nodeServiceAccount.email,
      oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
      shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
      workloadMetadataConfig: { mode: "GKE_METADATA" },
      metadata: { "disable-legacy-endpoints": "true" },
    };
    const workloadPool = pulumi.interpolate`${args.project}.svc.id.goog`;

    // The project singleton policy the cluster enforces: only our registry (and Google's system images).
    this.admissionPolicy = new gcp.binaryauthorization.Policy(
      childName(name, "admission"),
      {
        project: args.project,
        description: "CODITECT: admit only images from our own registry",
        globalPolicyEvaluationMode: "ENABLE",
        admissionWhitelistPatterns: args.admittedImagePatterns.map((namePattern) => ({ namePattern })),
        defaultAdmissionRule: {
          evaluationMode: "ALWAYS_DENY",
          enforcementMode: "ENFORCED_BLOCK_AND_AUDIT_LOG",
        },
      },
      parent,
    );

    this.cluster = new gcp.container.Cluster(
      childName(name, "cluster"),
      {
        project: args.project,
        location: args.location,
        name: args.clusterName,
        network: args.networkId,
        subnetwork: args.subnetworkId,
        networkingMode: "VPC_NATIVE",
        ipAllocationPolicy: {
          clusterSecondaryRangeName: args.podsRangeName,
          servicesSecondaryRangeName: args.servicesRangeName,
        },
        // The default pool is deleted right after creation; until then it runs with our node identity.
        removeDefaultNodePool: true,
        initialNodeCount: 1,
        nodeConfig: nodeSecurity,
        privateClusterConfig: {
          enablePrivateNodes: true,
          enablePrivateEndpoint: true,
          masterIpv4CidrBlock: args.masterCidr,
          masterGlobalAccessConfig: { enabled: false },
        },
        masterAuthorizedNetworksConfig: {
          cidrBlocks: args.masterAuthorizedCidrs.map((cidrBlock) => ({
            cidrBlock,
            displayName: `ops ${cidrBlock}`,
          })),
          gcpPublicCidrsAccessEnabled: false,
        },
        workloadIdentityConfig: { workloadPool },
        releaseChannel: { channel: args.releaseChannel },
        enableShieldedNodes: true,
        enableLegacyAbac: false,
        binaryAuthorization: { evaluationMode: "PROJECT_SINGLETON_POLICY_ENFORCE" },
        databaseEncryption: { state: "ENCRYPTED", keyName: args.secretsEncryptionKeyId },
        networkPolicy: { enabled: true, provider: "CALICO" },
        addonsConfig: {
          networkPolicyConfig: { disabled: false },
          httpLoadBalancing: { disabled: false },
          horizontalPodAutoscaling: { disabled: false },
        },
        secretManagerConfig: { enabled: true },
        securityPostureConfig: { mode: "BASIC", vulnerabilityMode: "VULNERABILITY_BASIC" },
        deletionProtection: true,
        resourceLabels: args.labels,
      },
      { parent: this, dependsOn: [...roleGrants, this.admissionPolicy] },
    );

    this.nodePool = new gcp.container.NodePool(
      childName(name, "pool"),
      {
        project: args.project,
        location: args.location,
        cluster: this.cluster.name,
        autoscaling: { minNodeCount: args.minNodesPerZone, maxNodeCount: args.maxNodesPerZone },
        management: { autoRepair: true, autoUpgrade: true },
        upgradeSettings: { maxSurge: 1, maxUnavailable: 0 },
        nodeConfig: {
          ...nodeSecurity,
          machineType: args.nodeMachineType,
          imageType: "COS_CONTAINERD",
          diskType: "pd-balanced",
          diskSizeGb: 100,
          resourceLabels: args.labels,
        },
      },
      parent,
    );

    this.endpoint = this.cluster.endpoint;
    this.workloadPool = this.cluster.workloadIdentityConfig.apply((c) => c?.workloadPool ?? "");
    this.kubeconfig = pulumi
      .all([this.cluster.name, this.cluster.endpoint, this.cluster.masterAuth])
      .apply(([clusterName, endpoint, auth]) =>
        gkeKubeconfig(clusterName, endpoint, auth.clusterCaCertificate ?? ""),
      );
    this.registerOutputs({ endpoint: this.endpoint, workloadPool: this.workloadPool });
  }
}

/** A kubeconfig that authenticates with the gke-gcloud-auth-plugin (short-lived tokens, nothing stored). */
export function gkeKubeconfig(clusterName: string, endpoint: string, caCertificate: string): string {
  const context = `gke_${clusterName}`;
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: context,
        cluster: { server: `https://${endpoint}`, "certificate-authority-data": caCertificate },
      },
    ],
    contexts: [{ name: context, context: { cluster: context, user: context } }],
    "current-context": context,
    users: [
      {
        name: context,
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "gke-gcloud-auth-plugin",
            provideClusterInfo: true,
            installHint: "Install gke-gcloud-auth-plugin: gcloud components install gke-gcloud-auth-plugin",
          },
        },
      },
    ],
  });
}
