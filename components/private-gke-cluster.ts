/**
 * PrivateGkeCluster: a regional, private GKE Standard cluster for the control plane.
 *
 * Private nodes and a private IP endpoint reachable only from authorized internal ranges, plus GKE's
 * DNS-based control-plane endpoint (every request IAM-checked: `container.clusters.connect`) which
 * `pulumi up` and ops use from anywhere without a VPN (ADR 0102). Workload Identity,
 * a release channel, shielded nodes, Binary Authorization (a project policy admitting only images our
 * release attested with the KMS signing key, enforced by the cluster; ADR 0190), application-layer
 * secrets encryption with our KMS key, Calico network policy, the Secret Manager CSI add-on, no default
 * node pool and one managed node pool with its own minimal service account, auto repair and auto upgrade.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { childName, serviceAccountId } from "./naming.js";

/**
 * Security posture: BASIC config auditing; workload vulnerability scanning off because GKE no longer
 * supports VULNERABILITY_BASIC (v1 API: "Deprecated: Basic vulnerability scanning is no longer supported",
 * kubernetes-engine/docs/deprecations/posture-management-deprecation) and ENTERPRISE is deprecated too.
 * Images are scanned in Artifact Registry instead (containerscanning.googleapis.com).
 */
export const SECURITY_POSTURE = { mode: "BASIC", vulnerabilityMode: "VULNERABILITY_DISABLED" } as const;

/**
 * Cluster fields that describe only the default node pool, deleted right after creation: once it is gone
 * the API reports other values, which would plan a REPLACEMENT of the cluster on every run (as
 * terraform-google-modules' GKE module and cloud-foundation-fabric#1275 describe); ignored like they do.
 */
export const DEFAULT_POOL_FIELDS = ["nodeConfig", "initialNodeCount", "nodePools"] as const;

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
   * Attestors (`projects/<p>/attestors/<name>`, ImageAttestor.attestorId) whose attestation every image
   * needs. No name pattern is exempt — an allowlisted path would skip the signature check; Google's
   * system images are admitted by the global policy.
   */
  requiredAttestors: pulumi.Input<string>[];
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
  /** DNS-based control-plane endpoint (`gke-….<region>.gke.goog`), IAM-guarded; what the kubeconfig uses. */
  readonly dnsEndpoint: pulumi.Output<string>;
  /** `<project>.svc.id.goog`: the Workload Identity pool for KSA → GSA bindings. */
  readonly workloadPool: pulumi.Output<string>;
  /** Kubeconfig using gke-gcloud-auth-plugin (no static credentials). */
  readonly kubeconfig: pulumi.Output<string>;

  constructor(name: string, args: PrivateGkeClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    if (args.requiredAttestors.length === 0) {
      throw new Error("PrivateGkeCluster requiredAttestors must name at least one attestor (ImageAttestor)");
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

    // The project singleton policy the cluster enforces: only images our release attested with the KMS
    // key (and Google's system images), blocked — not merely audited — otherwise.
    this.admissionPolicy = new gcp.binaryauthorization.Policy(
      childName(name, "admission"),
      {
        project: args.project,
        description: "CODITECT: admit only images signed by the release (KMS HSM key)",
        globalPolicyEvaluationMode: "ENABLE",
        defaultAdmissionRule: {
          evaluationMode: "REQUIRE_ATTESTATION",
          enforcementMode: "ENFORCED_BLOCK_AND_AUDIT_LOG",
          requireAttestationsBies: args.requiredAttestors,
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
        // The DNS endpoint answers from anywhere but admits only callers with container.clusters.connect
        // (IAM) and a valid Google token, so no VPN or bastion is needed for `pulumi up` (ADR 0102).
        controlPlaneEndpointsConfig: {
          dnsEndpointConfig: { allowExternalTraffic: true },
          ipEndpointsConfig: { enabled: true },
        },
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
        // Google Managed Prometheus collects the services' metrics through PodMonitorings (ADR 0130);
        // on by default for new clusters, stated so the PodMonitoring CRD is never missing.
        monitoringConfig: { managedPrometheus: { enabled: true } },
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
        securityPostureConfig: { ...SECURITY_POSTURE },
        deletionProtection: true,
        resourceLabels: args.labels,
      },
      {
        parent: this,
        dependsOn: [...roleGrants, this.admissionPolicy],
        ignoreChanges: [...DEFAULT_POOL_FIELDS],
      },
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
    this.dnsEndpoint = this.cluster.controlPlaneEndpointsConfig.apply((c) => {
      const endpoint = c?.dnsEndpointConfig?.endpoint;
      if (!endpoint) throw new Error(`GKE cluster ${args.clusterName} reports no DNS endpoint`);
      return endpoint;
    });
    this.workloadPool = this.cluster.workloadIdentityConfig.apply((c) => c?.workloadPool ?? "");
    this.kubeconfig = pulumi
      .all([this.cluster.name, this.dnsEndpoint])
      .apply(([clusterName, dnsEndpoint]) => gkeKubeconfig(clusterName, dnsEndpoint));
    this.registerOutputs({ endpoint: this.endpoint, workloadPool: this.workloadPool });
  }
}

/**
 * A kubeconfig for the cluster's DNS endpoint that authenticates with gke-gcloud-auth-plugin (short-lived
 * tokens, nothing stored). The DNS endpoint serves a publicly trusted certificate, so no CA data (the
 * same kubeconfig `gcloud container clusters get-credentials --dns-endpoint` writes).
 */
export function gkeKubeconfig(clusterName: string, dnsEndpoint: string): string {
  if (!/^[a-z0-9.-]+\.gke\.goog$/.test(dnsEndpoint)) {
    throw new Error(`not a GKE DNS endpoint: "${dnsEndpoint}" (expected gke-….<location>.gke.goog)`);
  }
  const context = `gke_${clusterName}`;
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: context,
        cluster: { server: `https://${dnsEndpoint}` },
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
