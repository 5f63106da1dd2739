/**
 * WorkstationFleet: a private Cloud Workstations cluster and one configuration per tier.
 *
 * Every config: the licensed image pinned by digest from our registry, a dedicated service account, no
 * public IPs and no SSH, shielded VM, confidential compute where the machine supports it (ADR 0022),
 * 30-minute idle and 12-hour running timeouts, and a persistent home disk that survives stop/start and is
 * deleted with its workstation (ADR 0105: the operator deletes a workstation only after the license's
 * deletion grace, ADR 0043). The operator's identity may manage workstations only within these configs
 * (config-level IAM, not project-wide).
 *
 * The cluster is private, so it is reachable only through a Private Service Connect endpoint in our VPC
 * (a forwarding rule to the cluster's service attachment) and a private DNS zone for the cluster hostname
 * whose wildcard record points at that endpoint (ADR 0106). An existing cluster (the seeds'
 * coditect-ws-cluster) is adopted with `importClusterId` instead of created (ADR 0103).
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
  /**
   * Workstation image pinned by digest (`…@sha256:…`). Absent in the first deploy's infrastructure phase:
   * then only the cluster, its endpoint and the service account are declared, no configs.
   */
  image?: string;
  idleTimeoutSeconds: number;
  runningTimeoutSeconds: number;
  tiers: Record<WorkstationTier, TierHostSpec>;
  /** Identity allowed to create, start, stop and delete workstations in these configs (the operator). */
  managerMember: pulumi.Input<string>;
  /** Billing API URL handed to the workstation's license client (CODITECT_LICENSE_SERVER). */
  licenseApiUrl: pulumi.Input<string>;
  /** Adopt this existing cluster (`projects/<p>/locations/<r>/workstationClusters/<id>`) instead of creating one. */
  importClusterId?: string;
  labels: Record<string, string>;
}

/** Roles of the workstation VMs' service account: the audit agent (enableAuditAgent) writes logs. */
export const WORKSTATION_SA_ROLES = ["roles/logging.logWriter"] as const;

/**
 * The environment of the licensed image: exactly the variables images/workstation/entrypoint.sh and the
 * agent (images/agent/config.ts) read, plus the Cloud Workstations platform variables that lock it down. The entrypoint fetches the identity token with the license server
 * as its audience, so the URL must be billing's (ADR 0072); CODITECT_CONTAINER_TYPE is the entrypoint's
 * default, set explicitly so the agent never reports a workstation as docker.
 */
export function workstationContainerEnv(licenseServer: string): Record<string, string> {
  if (!/^https:\/\/[a-z0-9.-]+(:[0-9]+)?$/.test(licenseServer)) {
    throw new Error(`the license server must be an https:// origin, got "${licenseServer}"`);
  }
  return {
    CODITECT_LICENSE_SERVER: licenseServer,
    CODITECT_CONTAINER_TYPE: "workstation",
    // Read by Cloud Workstations' base image, not by ours: without it the user gets passwordless sudo and
    // could stop the session agent (issue 13; policy rule gcp-workstations-workstationconfig-sudo-disabled).
    CLOUD_WORKSTATIONS_CONFIG_DISABLE_SUDO: "true",
  };
}

/** Home disks go with their workstation (ADR 0105); before that the deletion grace keeps them. */
export const HOME_DISK_RECLAIM_POLICY = "DELETE";

export class WorkstationFleet extends pulumi.ComponentResource {
  readonly cluster: gcp.workstations.WorkstationCluster;
  /** Undefined until an image is configured (infrastructure phase). */
  readonly configs: Record<WorkstationTier, gcp.workstations.WorkstationConfig> | undefined;
  readonly serviceAccount: gcp.serviceaccount.Account;
  /** Config ids per tier (what the operator puts in its workstation requests). */
  readonly configIds: Record<WorkstationTier, string>;
  /** The internal IP of the Private Service Connect endpoint workstation hosts resolve to. */
  readonly endpointAddress: gcp.compute.Address;
  /** The cluster hostname (`cluster-….cloudworkstations.dev`) the private DNS zone serves. */
  readonly clusterHostname: pulumi.Output<string>;

  constructor(name: string, args: WorkstationFleetArgs, opts?: pulumi.ComponentResourceOptions) {
    const image = args.image;
    if (image !== undefined && !/@sha256:[a-f0-9]{64}$/.test(image)) {
      throw new Error(`WorkstationFleet image must be pinned by digest (…@sha256:<64 hex>), got "${image}"`);
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
    for (const role of WORKSTATION_SA_ROLES) {
      new gcp.projects.IAMMember(
        childName(name, `sa-${role.split("/")[1]!.replace(/\./g, "-").toLowerCase()}`),
        { project: args.project, role, member: this.serviceAccount.member },
        { parent: this },
      );
    }
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
      {
        parent: this,
        // Adopted clusters are never deleted by this stack (customers' workstations live in them).
        ...(args.importClusterId
          ? { import: args.importClusterId, retainOnDelete: true, protect: true }
          : { protect: true }),
      },
    );
    const privateConfig = this.cluster.privateClusterConfig.apply((c) => {
      if (!c?.serviceAttachmentUri || !c.clusterHostname) {
        throw new Error(`workstation cluster ${args.clusterId} reports no service attachment or hostname`);
      }
      return { serviceAttachment: c.serviceAttachmentUri, hostname: c.clusterHostname };
    });
    this.clusterHostname = privateConfig.hostname;
    this.endpointAddress = new gcp.compute.Address(
      childName(name, "psc-ip"),
      {
        project: args.project,
        region: args.location,
        name: gcpResourceId([name, "psc"]),
        addressType: "INTERNAL",
        subnetwork: args.subnetworkId,
        description: "Private Service Connect endpoint of the private workstation cluster",
      },
      { parent: this },
    );
    new gcp.compute.ForwardingRule(
      childName(name, "psc"),
      {
        project: args.project,
        region: args.location,
        name: gcpResourceId([name, "psc"]),
        network: args.networkId,
        ipAddress: this.endpointAddress.id,
        target: privateConfig.serviceAttachment,
        // Private Service Connect to a published service takes an empty scheme.
        loadBalancingScheme: "",
      },
      { parent: this },
    );
    const zone = new gcp.dns.ManagedZone(
      childName(name, "dns"),
      {
        project: args.project,
        name: gcpResourceId([name, "hosts"]),
        dnsName: pulumi.interpolate`${privateConfig.hostname}.`,
        description: "Workstation hosts of the private cluster, answered inside our VPC only",
        visibility: "private",
        privateVisibilityConfig: { networks: [{ networkUrl: args.networkId }] },
        labels: args.labels,
      },
      { parent: this },
    );
    new gcp.dns.RecordSet(
      childName(name, "dns-wildcard"),
      {
        project: args.project,
        managedZone: zone.name,
        name: pulumi.interpolate`*.${privateConfig.hostname}.`,
        type: "A",
        ttl: 300,
        rrdatas: [this.endpointAddress.address],
      },
      { parent: this },
    );

    const configs: Partial<Record<WorkstationTier, gcp.workstations.WorkstationConfig>> = {};
    const ids: Partial<Record<WorkstationTier, string>> = {};
    for (const d of decisions) {
      const configId = gcpResourceId(["coditect", d.tier]);
      ids[d.tier] = configId;
      if (image === undefined) continue;
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
              // No serviceAccountScopes: setting them requires iam.serviceAccounts.actAs on this account
              // from everyone who creates workstations (the provider docs); the defaults cover the image
              // pull, the audit agent's logging and the metadata identity token (ADR 0107).
              serviceAccount: this.serviceAccount.email,
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
                reclaimPolicy: HOME_DISK_RECLAIM_POLICY,
              },
            },
          ],
          container: {
            image,
            env: pulumi.output(args.licenseApiUrl).apply(workstationContainerEnv),
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
    this.configs =
      image === undefined
        ? undefined
        : (configs as Record<WorkstationTier, gcp.workstations.WorkstationConfig>);
    this.configIds = ids as Record<WorkstationTier, string>;
    this.registerOutputs({
      clusterName: this.cluster.name,
      configIds: this.configIds,
      serviceAccountEmail: this.serviceAccount.email,
      clusterHostname: this.clusterHostname,
    });
  }
}
