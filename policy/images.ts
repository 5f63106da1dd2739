/** Parsing of container image references, shared by the GCP and Kubernetes image rules. */

/** An image reference in an Artifact Registry Docker repository. */
export interface ArtifactImage {
  location: string;
  project: string;
  repository: string;
  image: string;
  digest: string | undefined;
}

const ARTIFACT_IMAGE =
  /^([a-z0-9-]+)-docker\.pkg\.dev\/([a-z0-9:.-]+)\/([a-z0-9-]+)\/([a-z0-9._/-]+?)(?::[\w][\w.-]{0,127})?(?:@(sha256:[0-9a-f]{64}))?$/;

/** Splits an Artifact Registry image reference; undefined for any other registry or malformed text. */
export function parseArtifactImage(reference: string): ArtifactImage | undefined {
  const match = ARTIFACT_IMAGE.exec(reference.trim());
  if (!match) return undefined;
  const [, location, project, repository, image, digest] = match;
  return { location: location!, project: project!, repository: repository!, image: image!, digest };
}

/** True when the reference ends in `@sha256:<64 hex>`, whatever the registry. */
export function isPinnedByDigest(reference: string): boolean {
  return /@sha256:[0-9a-f]{64}$/.test(reference.trim());
}
