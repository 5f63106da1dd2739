/**
 * The `config.yml` of Debian's `docker-registry` (CNCF distribution 2.8), built in one place: the sandbox's
 * registry child writes it (sandbox/plan.ts), and switching the sandbox registry to Docker token
 * authentication with billing as the realm (issue 15) is a `tokenAuth` argument here, nothing else.
 *
 * Test infrastructure and sandbox stand-in (Artifact Registry in production).
 */

export interface RegistryConfigOptions {
  /** `127.0.0.1:<port>`: loopback only, plain HTTP. */
  addr: string;
  /** Where blobs and manifests are stored. */
  rootDirectory: string;
  /** Docker Registry v2 token authentication; `rootCertBundleFile` is the PEM file of the tokens' CA. */
  tokenAuth?: { realm: string; service: string; issuer: string; rootCertBundleFile: string };
  logLevel?: "error" | "warn" | "info" | "debug";
}

export function registryConfigYaml(options: RegistryConfigOptions): string {
  const auth = options.tokenAuth;
  return [
    "version: 0.1",
    "log:",
    `  level: ${options.logLevel ?? "warn"}`,
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${options.rootDirectory}`,
    "  delete:",
    "    enabled: true",
    "http:",
    `  addr: ${options.addr}`,
    ...(auth
      ? [
          "auth:",
          "  token:",
          `    realm: ${auth.realm}`,
          `    service: ${auth.service}`,
          `    issuer: ${auth.issuer}`,
          `    rootcertbundle: ${auth.rootCertBundleFile}`,
        ]
      : []),
    "",
  ].join("\n");
}
