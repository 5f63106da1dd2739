/**
 * Database: Cloud SQL for PostgreSQL for billing, reachable only on its private IP over TLS.
 *
 * No public IP, SSL required (ENCRYPTED_ONLY), CMEK storage, automated backups with point-in-time recovery,
 * regional high availability when asked (prod), deletion protection on both the API and Pulumi side, and
 * logging flags for connections, lock waits, temp files and slow statements. One user is declared: the
 * migration user that owns billing's schema (ADR 0166), without a password — ops set it from Secret Manager
 * (ADR 0024), so no password is in Pulumi state. Billing's runtime login is not a Cloud SQL user: the
 * migration step creates it as a plain role (API users join cloudsqlsuperuser).
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

/** The Cloud SQL user that owns billing's tables and runs its migrations (ADR 0166). */
export const MIGRATION_USER = "billing_migrator";

/** Per-instance CA managed by Google (ADR 0109); its server certificates carry no IP SAN. */
export const SERVER_CA_MODE = "GOOGLE_MANAGED_INTERNAL_CA";

/** Joins the instance's CA certificates into one PEM bundle; an instance without any is an error. */
export function serverCaBundle(pems: (string | undefined)[]): string {
  const certs = pems.filter((p): p is string => typeof p === "string" && p.includes("BEGIN CERTIFICATE"));
  if (certs.length === 0) throw new Error("the Cloud SQL instance lists no server CA certificate");
  return certs.map((p) => (p.endsWith("\n") ? p : `${p}\n`)).join("");
}

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
  readonly migrationUser: gcp.sql.User;
  readonly privateIp: pulumi.Output<string>;
  readonly connectionName: pulumi.Output<string>;
  /**
   * PEM bundle of every server CA the instance lists (the current one and, during a CA rotation, the
   * upcoming one): clients verify the server with it (sslmode=verify-ca). ControlPlane mounts it.
   */
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
            // TLS required without client certificates (billing authenticates with a password); the
            // per-instance Google CA signs a server certificate without an IP SAN, so clients verify the
            // chain against serverCa (sslmode=verify-ca semantics), not the host name (ADR 0109).
            sslMode: "ENCRYPTED_ONLY",
            serverCaMode: SERVER_CA_MODE,
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
    this.migrationUser = new gcp.sql.User(
      childName(name, "migration-user"),
      { project: args.project, instance: this.instance.name, name: MIGRATION_USER, type: "BUILT_IN" },
      { parent: this },
    );
    this.privateIp = this.instance.privateIpAddress;
    this.connectionName = this.instance.connectionName;
    this.serverCa = this.instance.serverCaCerts.apply((certs) => serverCaBundle(certs.map((c) => c.cert)));
    this.registerOutputs({ privateIp: this.privateIp, connectionName: this.connectionName });
  }
}
