/**
 * The few OCI distribution API calls signing needs (blobs, manifests, pushed and fetched by digest), over
 * fetch. Loopback registries are spoken to over plain HTTP (the local docker-registry); everything else
 * over HTTPS with the Docker token flow when the registry asks for it: credentials from
 * REGISTRY_USERNAME/REGISTRY_PASSWORD (for Artifact Registry: `oauth2accesstoken` and an access token of
 * the build identity, docs/supply-chain.md). Every digest received is recomputed, never trusted.
 */
import crypto from "node:crypto";

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const ACCEPT = [
  OCI_MANIFEST,
  OCI_INDEX,
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
].join(", ");

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${crypto.createHash("sha256").update(bytes).digest("hex")}`;
}

export interface RegistryCredentials {
  username: string;
  password: string;
}

export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): RegistryCredentials | undefined {
  return env.REGISTRY_USERNAME && env.REGISTRY_PASSWORD
    ? { username: env.REGISTRY_USERNAME, password: env.REGISTRY_PASSWORD }
    : undefined;
}

export class RegistryClient {
  readonly #base: string;
  #token: string | undefined;

  constructor(
    readonly registry: string,
    private readonly credentials: RegistryCredentials | undefined = credentialsFromEnv(),
  ) {
    const loopback = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(registry);
    this.#base = `${loopback ? "http" : "https"}://${registry}/v2`;
    // A bearer token minted out of band (the sandbox's publisher push token, sandbox/registry-token.ts):
    // used as is, the token flow only runs if the registry refuses it.
    this.#token = process.env.REGISTRY_BEARER_TOKEN || undefined;
  }

  async #request(path: string, init: RequestInit = {}): Promise<Response> {
    const send = () =>
      fetch(`${path.startsWith("http") ? "" : this.#base}${path}`, {
        ...init,
        headers: {
          ...(init.headers as Record<string, string>),
          ...(this.#token ? { authorization: `Bearer ${this.#token}` } : {}),
        },
        redirect: "follow",
      });
    let response = await send();
    // A token is scoped (repository and actions): a 401 asks for the scope this request needs.
    if (response.status === 401) {
      await response.arrayBuffer();
      this.#token = await this.#fetchToken(response.headers.get("www-authenticate") ?? "");
      response = await send();
    }
    return response;
  }

  /** Docker Registry v2 token flow (the `Bearer realm=…,service=…,scope=…` challenge). */
  async #fetchToken(challenge: string): Promise<string> {
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!/^Bearer /i.test(challenge) || !params.realm) {
      throw new Error(
        `registry ${this.registry} asks for authentication this tool does not speak: ${challenge}`,
      );
    }
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set("service", params.service);
    if (params.scope) url.searchParams.set("scope", params.scope);
    const headers: Record<string, string> = {};
    if (this.credentials) {
      headers.authorization = `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString("base64")}`;
    }
    const response = await fetch(url, { headers });
    if (!response.ok) {
      throw new Error(
        `registry ${this.registry}: token request failed (${response.status}); set REGISTRY_USERNAME and REGISTRY_PASSWORD`,
      );
    }
    const body = (await response.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new Error(`registry ${this.registry}: token response holds no token`);
    return token;
  }

  async #expectOk(response: Response, what: string): Promise<void> {
    if (!response.ok) {
      throw new Error(
        `registry ${this.registry}: ${what} failed: ${response.status} ${(await response.text()).slice(0, 300)}`,
      );
    }
  }

  /** Uploads a blob unless the registry has it; returns its descriptor fields. */
  async pushBlob(repository: string, bytes: Uint8Array): Promise<{ digest: string; size: number }> {
    const digest = sha256Digest(bytes);
    const head = await this.#request(`/${repository}/blobs/${digest}`, { method: "HEAD" });
    if (head.status !== 200) {
      const start = await this.#request(`/${repository}/blobs/uploads/`, { method: "POST" });
      await this.#expectOk(start, `starting the upload of ${digest}`);
      const location = new URL(start.headers.get("location") ?? "", `${this.#base}/`);
      location.searchParams.set("digest", digest);
      const put = await this.#request(location.toString(), {
        method: "PUT",
        headers: { "content-type": "application/octet-stream" },
        body: bytes,
      });
      await this.#expectOk(put, `uploading blob ${digest}`);
    }
    return { digest, size: bytes.length };
  }

  async getBlob(repository: string, digest: string): Promise<Buffer> {
    const response = await this.#request(`/${repository}/blobs/${digest}`);
    await this.#expectOk(response, `fetching blob ${digest}`);
    const bytes = Buffer.from(await response.arrayBuffer());
    if (sha256Digest(bytes) !== digest)
      throw new Error(`registry ${this.registry}: blob ${digest} does not match its digest`);
    return bytes;
  }

  /**
   * Puts a manifest under `reference` (its digest, or a tag such as cosign's `sha256-….sig`); returns
   * the digest, checked against the registry's Docker-Content-Digest.
   */
  async putManifest(
    repository: string,
    reference: string,
    bytes: Buffer,
    mediaType: string,
  ): Promise<string> {
    const digest = sha256Digest(bytes);
    const response = await this.#request(`/${repository}/manifests/${reference}`, {
      method: "PUT",
      headers: { "content-type": mediaType },
      body: bytes,
    });
    await this.#expectOk(response, `putting manifest ${reference}`);
    const answered = response.headers.get("docker-content-digest");
    if (answered && answered !== digest) {
      throw new Error(`registry ${this.registry}: stored manifest ${answered}, expected ${digest}`);
    }
    return digest;
  }

  /** The manifest at `reference`, or undefined when the registry has none (404). */
  async getManifest(
    repository: string,
    reference: string,
  ): Promise<{ bytes: Buffer; mediaType: string; digest: string } | undefined> {
    const response = await this.#request(`/${repository}/manifests/${reference}`, {
      headers: { accept: ACCEPT },
    });
    if (response.status === 404) return undefined;
    await this.#expectOk(response, `fetching manifest ${reference}`);
    const bytes = Buffer.from(await response.arrayBuffer());
    const digest = sha256Digest(bytes);
    if (reference.startsWith("sha256:") && digest !== reference) {
      throw new Error(
        `registry ${this.registry}: manifest ${reference} does not match its digest (got ${digest})`,
      );
    }
    return { bytes, mediaType: response.headers.get("content-type") ?? OCI_MANIFEST, digest };
  }
}
