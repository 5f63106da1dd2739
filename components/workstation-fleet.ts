/**
 * WorkstationFleet: a private Cloud Workstations cluster and one configuration per tier.
 *
 * Every config: the licensed image pinned by digest from our registry, a dedicated service account, no
 * public IPs and no SSH, shielded VM, confidential compute where the machine supports it (ADR 0022),
 * 30-minute idle and 12-hour running timeouts, and a persistent home disk that survives stop/start and is
 * retained when a workstation is deleted. The operator's identity may manage workstations only within these
 * configs (config-level IAM, not project-wide).
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { WORKSTATION_TIER_NAMES, type WorkstationTier } from "../lib/domain.js";
import { childName, gcpResourceId, serviceAccountId } from "./naming.js";
import { apiDuration, decideTierHost, type TierHostSpec } from "./workstation-tiers.js";

export interface WorkstationFleetArgs {
  project: pulumi.Input<string>;
  location: pulumi.Input<string>;
  /** VPC id (projects/…/global/networks/…). */
  networkId: pulumi.Input<string>;
  /** Workstation subnet id. */
  subnetworkId: pulumi.Input<string>;
  /** Cluster id (the seeds: coditect-ws-cluster). */
  clusterId: string;
  /** Workstation image pinned by digest (`…@sha256:…`). */
  image: string;
  idleTimeoutSeconds: number;
  runningTimeoutSeconds: number;
  tiers: Record<WorkstationTier, TierHostSpec>;
  /** Identity allowed to create, start, stop and delete workstations in these configs (the operator). */
  managerMember: pulumi.Input<string>;
  /** Billing API URL handed to the workstation's license client. */
  licenseApiUrl: pulumi.Input<string>;
  labels: Record<string, string>;
}

export class WorkstationFleet extends pulumi.ComponentResource {
  readonly cluster: gcp.workstations.WorkstationCluster;
  readonly configs: Record<WorkstationTier, gcp.workstations.WorkstationConfig>;
  readonly serviceAccount: gcp.serviceaccount.Account;
  /** Config ids per tier (what the operator puts in its workstation requests). */
  readonly configIds: Record<WorkstationTier, string>;

  constructor(name: string, args: WorkstationFleetArgs, opts?: pulumi.ComponentResourceOptions) {
    if (!/@sha256:[a-f0-9]{64}$/.test(args.image)) {
      throw new Error(
        `WorkstationFleet image must be pinned by digest (…@sha256:<64 hex>), got "${args.image}"`,
      );
    }
    // Validated before `super`: a bad image or an impossible tier registers nothing at all.
    const decisions = WORKSTATION_TIER_NAMES.map((tier) => decideTierHost(tier, args.tiers[tier]));

    super("coditect:index:WorkstationFleet", name, {}, opts);

    this.serviceAccount = new gcp.serviceaccount.Account(
      childName(name, "sa"),
      {
        project: args.project,
        accountId: serviceAccountId(["coditect-workstation"]),
        displayName: "Cloud Workstations VMs",
        description: "Runs workstation VMs; pulls the workstation image. Holds no other role.",
      },
      { parent: this },
    );
    this.cluster = new gcp.workstations.WorkstationCluster(
      childName(name, "cluster"),
      {
        project: args.project,
        location: args.location,
        workstationClusterId: args.clusterId,
        network: args.networkId,
        subnetwork: args.subnetworkId,
        privateClusterConfig: { enablePrivateEndpoint: true },
        labels: args.labels,
      },
      { parent: this },
    );

    const configs: Partial<Record<WorkstationTier, gcp.workstations.WorkstationConfig>> = {};
    const ids: Partial<Record<WorkstationTier, string>> = {};
    for (const d of decisions) {
      const configId = gcpResourceId(["coditect", d.tier]);
      ids[d.tier] = configId;
      const config = new gcp.workstations.WorkstationConfig(
        childName(name, d.tier),
        {
          project: args.project,
          location: args.location,
          workstationClusterId: this.cluster.workstationClusterId,
          workstationConfigId: configId,
          displayName: `CODITECT ${d.tier}`,
          idleTimeout: apiDuration(args.idleTimeoutSeconds),
          runningTimeout: apiDuration(args.runningTimeoutSeconds),
          enableAuditAgent: true,
          host: {
            gceInstance: {
              machineType: d.machineType,
              bootDiskSizeGb: d.bootDiskSizeGb,
              poolSize: d.poolSize,
              disablePublicIpAddresses: true,
              disableSsh: true,
              serviceAccount: this.serviceAccount.email,
              serviceAccountScopes: ["https://www.googleapis.com/auth/cloud-platform"],
              shieldedInstanceConfig: {
                enableSecureBoot: true,
                enableVtpm: true,
                enableIntegrityMonitoring: true,
              },
              confidentialInstanceConfig: { enableConfidentialCompute: d.confidentialCompute },
              accelerators: d.accelerator ? [{ type: d.accelerator.type, count: d.accelerator.count }] : [],
            },
          },
          persistentDirectories: [
            {
              mountPath: "/home",
              gcePd: {
                sizeGb: d.homeDiskSizeGb,
                diskType: d.homeDiskType,
                fsType: "ext4",
                reclaimPolicy: "RETAIN",
              },
            },
          ],
          container: {
            image: args.image,
            env: { CODITECT_API_URL: args.licenseApiUrl, CODITECT_WORKSTATION_TIER: d.tier },
          },
          labels: { ...args.labels, tier: d.tier },
        },
        { parent: this },
      );
      configs[d.tier] = config;
      new gcp.workstations.WorkstationConfigIamMember(
        childName(name, `${d.tier}-manager`),
        {
          project: args.project,
          location: args.location,
          workstationClusterId: this.cluster.workstationClusterId,
          workstationConfigId: config.workstationConfigId,
          role: "roles/workstations.admin",
          member: args.managerMember,
        },
        { parent: this },
      );
    }
    this.configs = configs as Record<WorkstationTier, gcp.workstations.WorkstationConfig>;
    this.configIds = ids as Record<WorkstationTier, string>;
    this.registerOutputs({
      clusterName: this.cluster.name,
      configIds: this.configIds,
      serviceAccountEmail: this.serviceAccount.email,
    });
  }
}
