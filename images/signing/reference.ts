/** Image references as the signing tools accept them: `<registry>/<repository>@sha256:<hex>` only. */

export interface DigestReference {
  /** `us-central1-docker.pkg.dev` or `127.0.0.1:5000`. */
  registry: string;
  /** `project/repo/image`. */
  repository: string;
  /** `sha256:<64 hex>`. */
  digest: string;
}

const PATTERN =
  /^(?<registry>[a-z0-9.-]+(?::\d{1,5})?)\/(?<repository>[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)(?::[\w][\w.-]{0,127})?@(?<digest>sha256:[0-9a-f]{64})$/;

/** Parses `registry/repo@sha256:…` (a tag before the digest is allowed and ignored); throws naming the problem. */
export function parseDigestReference(ref: string): DigestReference {
  const match = PATTERN.exec(ref);
  if (!match?.groups) {
    throw new Error(
      `"${ref}" is not an image reference pinned by digest (expected <registry>/<repository>@sha256:<64 hex>)`,
    );
  }
  const { registry, repository, digest } = match.groups as unknown as DigestReference;
  return { registry, repository, digest };
}

/** `registry/repository` — the docker-reference cosign writes into the signed payload. */
export function repositoryName(ref: DigestReference): string {
  return `${ref.registry}/${ref.repository}`;
}

export function formatReference(ref: DigestReference): string {
  return `${repositoryName(ref)}@${ref.digest}`;
}

/** Cosign's signature tag for a manifest digest: `sha256-<hex>.sig` (SIGNATURE_SPEC.md, "Tag-based discovery"). */
export function signatureTag(digest: string): string {
  return `${digest.replace(":", "-")}.sig`;
}
