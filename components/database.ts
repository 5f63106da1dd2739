/**
 * Database: Cloud SQL for PostgreSQL for billing, reachable only on its private IP over TLS.
 *
 * No public IP, SSL required (ENCRYPTED_ONLY), CMEK storage, automated backups with point-in-time recovery,
 * regional high availability when asked (prod), deletion protection on both the API and Pulumi side, and
 * logging flags for connections, lock waits, temp files and slow statements. No user or password is created
 * here: the billing user's password lives only in Secret Manager (ADR 0024).
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { childName } from "./naming.js";

/** Flags that make incidents reviewable (CIS PostgreSQL benchmark for Cloud SQL). */
export const POSTGRES_LOGGING_FLAGS: { name: string; value: string }[] = [
  { name: "log_connections", value: "on" },
  { name: "log_disconnections", value: "on" },
  { name: "log_checkpoints", value: "on" },
  { name: "log_lock_waits", value: "on" },
  { name: "log_temp_files", value: "0" },
  { name: "log_min_duration_statement", value: "1000" },
  { name: "log_min_messages", value: "warning" },
  { name: "log_min_error_statement", value: "error" },
  { name: "cloudsql.enable_pgaudit", value: "on" },
];

export interface DatabaseArgs {
  project: pulumi.Input<string>;
  region: pulumi.Input<string>;
  instanceName: string;
  databaseVersion: "POSTGRES_15" | "POSTGRES_16" | "POSTGRES_17";
  tier: string;
  diskSizeGb: number;
  /** REGIONAL availability (a standby in another zone). */
  highAvailability: boolean;
  backupRetentionDays: number;
  /** VPC id whose private services access gives the instance its private IP. */
  networkId: pulumi.Input<string>;
  /** The private services peering; the instance cannot get a private IP before it exists. */
  privateServicesConnection: pulumi.Resource;
  /** CMEK key for the instance's storage and backups. */
  encryptionKeyId: pulumi.Input<string>;
  /** Name of the application database. */
  databaseName: string;
  labels: Record<string, string>;
}

export class Database extends pulumi.ComponentResource {
  readonly instance: gcp.sql.DatabaseInstance;
  readonly database: gcp.sql.Database;
  readonly privateIp: pulumi.Output<string>;
  readonly connectionName: pulumi.Output<string>;
  /** PEM of the instance's server CA: clients verify the server with it (sslmode=verify-ca). */
  readonly serverCa: pulumi.Output<string>;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("coditect:index:Database", name, {}, opts);
    this.instance = new gcp.sql.DatabaseInstance(
      childName(name, "instance"),
      {
        project: args.project,
        region: args.region,
        name: args.instanceName,
        databaseVersion: args.databaseVersion,
        deletionProtection: true,
        encryptionKeyName: args.encryptionKeyId,
        settings: {
          tier: args.tier,
          edition: "ENTERPRISE",
          availabilityType: args.highAvailability ? "REGIONAL" : "ZONAL",
          diskType: "PD_SSD",
          diskSize: args.diskSizeGb,
          diskAutoresize: true,
          deletionProtectionEnabled: true,
          ipConfiguration: {
            ipv4Enabled: false,
            privateNetwork: args.networkId,
            sslMode: "ENCRYPTED_ONLY",
            enablePrivatePathForGoogleCloudServices: false,
          },
          backupConfiguration: {
            enabled: true,
            pointInTimeRecoveryEnabled: true,
            startTime: "03:00",
            transactionLogRetentionDays: 7,
            backupRetentionSettings: { retainedBackups: args.backupRetentionDays, retentionUnit: "COUNT" },
          },
          databaseFlags: POSTGRES_LOGGING_FLAGS,
          insightsConfig: {
            queryInsightsEnabled: true,
            recordClientAddress: false,
            recordApplicationTags: true,
          },
          maintenanceWindow: { day: 7, hour: 4, updateTrack: "stable" },
          userLabels: args.labels,
        },
      },
      { parent: this, dependsOn: [args.privateServicesConnection], protect: true },
    );
    this.database = new gcp.sql.Database(
      childName(name, args.databaseName),
      { project: args.project, instance: this.instance.name, name: args.databaseName },
      { parent: this },
    );
    this.privateIp = this.instance.privateIpAddress;
    this.connectionName = this.instance.connectionName;
    this.serverCa = this.instance.serverCaCerts.apply((certs) => certs[0]?.cert ?? "");
    this.registerOutputs({ privateIp: this.privateIp, connectionName: this.connectionName });
  }
}
