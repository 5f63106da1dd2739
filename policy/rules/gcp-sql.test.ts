import { ruleCases } from "../testing/rule-cases.js";
import { policy as backups } from "./gcp-sql-databaseinstance-backups.js";
import { policy as deletionProtection } from "./gcp-sql-databaseinstance-deletion-protection.js";
import { policy as openNetworks } from "./gcp-sql-databaseinstance-no-open-authorized-networks.js";
import { policy as noPublicIp } from "./gcp-sql-databaseinstance-no-public-ip.js";
import { policy as logFlags } from "./gcp-sql-databaseinstance-postgres-log-flags.js";
import { policy as ssl } from "./gcp-sql-databaseinstance-ssl-required.js";

const DB = "billing-db";

ruleCases([
  {
    policy: noPublicIp,
    breaks: [
      {
        title: "ipv4 is enabled",
        resource: DB,
        mutate: (i) => (i.settings.ipConfiguration.ipv4Enabled = true),
        message: /ipv4Enabled is true/,
      },
      {
        title: "ipv4Enabled is unset (public by default)",
        resource: DB,
        mutate: (i) => delete i.settings.ipConfiguration.ipv4Enabled,
        message: /true when unset/,
      },
    ],
  },
  {
    policy: ssl,
    breaks: [
      {
        title: "unencrypted connections are allowed",
        resource: DB,
        mutate: (i) => (i.settings.ipConfiguration.sslMode = "ALLOW_UNENCRYPTED_AND_ENCRYPTED"),
        message: /sslMode is "ALLOW_UNENCRYPTED_AND_ENCRYPTED"/,
      },
      {
        title: "sslMode is unset",
        resource: DB,
        mutate: (i) => delete i.settings.ipConfiguration.sslMode,
        message: /sslMode is unset/,
      },
    ],
    passes: [
      {
        title: "client certificates are required",
        resource: DB,
        mutate: (i) => (i.settings.ipConfiguration.sslMode = "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"),
      },
    ],
  },
  {
    policy: openNetworks,
    breaks: [
      {
        title: "0.0.0.0/0 is authorized",
        resource: DB,
        mutate: (i) =>
          (i.settings.ipConfiguration.authorizedNetworks = [{ name: "any", value: "0.0.0.0/0" }]),
        message: /authorizedNetworks contains 0.0.0.0\/0/,
      },
    ],
    passes: [
      {
        title: "an office range is authorized",
        resource: DB,
        mutate: (i) => (i.settings.ipConfiguration.authorizedNetworks = [{ value: "203.0.113.0/24" }]),
      },
    ],
  },
  {
    policy: backups,
    breaks: [
      {
        title: "backups are off",
        resource: DB,
        mutate: (i) => (i.settings.backupConfiguration.enabled = false),
        message: /backupConfiguration.enabled is not true/,
      },
      {
        title: "PITR is off",
        resource: DB,
        mutate: (i) => delete i.settings.backupConfiguration.pointInTimeRecoveryEnabled,
        message: /pointInTimeRecoveryEnabled is not true/,
      },
    ],
  },
  {
    policy: deletionProtection,
    breaks: [
      {
        title: "deletion protection is off",
        resource: DB,
        mutate: (i) => (i.deletionProtection = false),
        message: /deletionProtection is false/,
      },
    ],
    passes: [
      {
        title: "deletionProtection is unset (default true)",
        resource: DB,
        mutate: (i) => delete i.deletionProtection,
      },
    ],
  },
  {
    policy: logFlags,
    breaks: [
      {
        title: "log_connections is off",
        resource: DB,
        mutate: (i) =>
          (i.settings.databaseFlags = i.settings.databaseFlags.filter(
            (f: { name: string }) => f.name !== "log_connections",
          )),
        message: /does not set log_connections to "on"/,
      },
    ],
    passes: [
      {
        title: "the instance is MySQL",
        resource: DB,
        mutate: (i) => {
          i.databaseVersion = "MYSQL_8_0";
          delete i.settings.databaseFlags;
        },
      },
    ],
  },
]);
