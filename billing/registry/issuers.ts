/** Builds the configured RegistryCredentialIssuer (ADR 0201). */

import type { RegistryConfig } from "./config.js";
import { DockerTokenIssuer, loadDockerTokenSettings } from "./docker-token.js";
import type { RegistryCredentialIssuer } from "./issuer.js";

export async function createIssuer(config: RegistryConfig): Promise<RegistryCredentialIssuer> {
  if (config.kind === "docker-token") {
    return new DockerTokenIssuer(
      loadDockerTokenSettings({ ...config, lifetimeSeconds: config.lifetimeSeconds }),
    );
  }
  const { GoogleAccessTokenIssuer } = await import("./google-access-token.js");
  return GoogleAccessTokenIssuer.create(config);
}
