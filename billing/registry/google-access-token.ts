/**
 * Production registry credentials (ADR 0023, ADR 0203): a Google OAuth access token minted by impersonating
 * the license tier's pull service account through IAM Credentials `generateAccessToken`, read-only scope,
 * lifetime ≤ 1 h (longer needs an org-policy exception; the seeds' 24 h is not offered). Artifact Registry
 * accepts it as `docker login -u oauth2accesstoken`. Tier isolation is IAM's: the Pro account reads only
 * the Pro repository, whatever billing hands out. Billing's own identity (Workload Identity) authenticates
 * the call; against a local IAM Credentials API (IAM_CREDENTIALS_API_ENDPOINT) the channel is plaintext.
 */
import { IAMCredentialsClient, type protos } from "@google-cloud/iam-credentials";
import { ApiError } from "../http/errors.js";
import type { RegistryConfig } from "./config.js";
import type { CredentialRequest, RegistryCredential, RegistryCredentialIssuer } from "./issuer.js";
import { tierRepositories } from "./tiers.js";

/** Artifact Registry reads need cloud-platform.read-only (there is no narrower scope it accepts). */
export const PULL_TOKEN_SCOPE = "https://www.googleapis.com/auth/cloud-platform.read-only";
export const MAX_ACCESS_TOKEN_LIFETIME_SECONDS = 3600;

type GoogleConfig = Extract<RegistryConfig, { kind: "google-access-token" }>;

/** The part of IAMCredentialsClient used here (the real client satisfies it). */
export type AccessTokenMinter = Pick<IAMCredentialsClient, "generateAccessToken">;

export class GoogleAccessTokenIssuer implements RegistryCredentialIssuer {
  readonly kind = "google-access-token" as const;

  constructor(
    private readonly config: GoogleConfig,
    private readonly client: AccessTokenMinter,
  ) {
    if (config.lifetimeSeconds > MAX_ACCESS_TOKEN_LIFETIME_SECONDS) {
      throw new Error(`access token lifetime must be ≤ ${MAX_ACCESS_TOKEN_LIFETIME_SECONDS} s`);
    }
  }

  static async create(config: GoogleConfig): Promise<GoogleAccessTokenIssuer> {
    const endpoint = config.iamCredentialsEndpoint;
    let client: IAMCredentialsClient;
    if (endpoint) {
      const grpc = await import("@grpc/grpc-js");
      const [host, port] = endpoint.split(":");
      client = new IAMCredentialsClient({
        apiEndpoint: host,
        port: Number(port ?? 443),
        sslCreds: grpc.credentials.createInsecure(),
      });
    } else {
      client = new IAMCredentialsClient();
    }
    return new GoogleAccessTokenIssuer(config, client);
  }

  async issue(request: CredentialRequest): Promise<RegistryCredential> {
    if (request.tier === "starter")
      throw new ApiError(403, "registry_not_included", "starter has no registry tier");
    const account = this.config.serviceAccounts[request.tier];
    let response: protos.google.iam.credentials.v1.IGenerateAccessTokenResponse;
    try {
      [response] = await this.client.generateAccessToken({
        name: `projects/-/serviceAccounts/${account}`,
        scope: [PULL_TOKEN_SCOPE],
        lifetime: { seconds: this.config.lifetimeSeconds },
      });
    } catch (error) {
      throw new ApiError(
        503,
        "registry_credentials_unavailable",
        `could not mint a pull token: ${(error as Error).message}`,
        5,
      );
    }
    const seconds = Number(response.expireTime?.seconds ?? 0);
    if (!response.accessToken || !seconds) {
      throw new ApiError(503, "registry_credentials_unavailable", "IAM Credentials answered without a token");
    }
    return {
      kind: this.kind,
      registry: this.config.registry,
      username: "oauth2accesstoken",
      secret: response.accessToken,
      expiresAt: new Date(seconds * 1000),
      repositories: tierRepositories(request.tier, this.config.repositoryPrefix),
    };
  }
}
