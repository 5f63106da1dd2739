/**
 * What `npm run images:build` builds, as data (ADR 0180): the Debian base root filesystems (mmdebstrap),
 * the stand-ins of the upstream base images built on them, and the four product images, whose Dockerfiles
 * are the ones that ship — only their base-image build arguments differ from production. Pure: the I/O is
 * in bases.ts and build.ts.
 */
import { createHash } from "node:crypto";

export const IMAGE_NAMES = ["docker", "workstation", "billing", "operator"] as const;
export type ImageName = (typeof IMAGE_NAMES)[number];

/** A Debian root filesystem built by `mmdebstrap --variant=minbase --include=<packages> <suite>`. */
export interface DebianBase {
  name: string;
  suite: string;
  packages: readonly string[];
}

/** An image standing in for an upstream base image that cannot be pulled here (no registry). */
export interface StandIn {
  name: "node24-slim" | "distroless-nodejs24" | "code-oss";
  /** Replaces this production base (documentation and the SBOM's annotation). */
  standsInFor: string;
  dockerfile: string;
  debianBase: DebianBase["name"];
  /**
   * What the build context holds: the host's Node 24 binary, the host's npm, or the stand-in's own
   * directory of files (images/build/stand-ins/<name>/).
   */
  context: readonly ("node" | "npm" | "files")[];
}

export interface ProductImage {
  name: ImageName;
  dockerfile: string;
  /** Local tag of the result (`localhost/coditect/<name>:dev`). */
  tag: string;
  /** Build argument → stand-in whose tag it receives. */
  baseArgs: Record<string, StandIn["name"]>;
  /** Where the image's npm modules are: bundled into the agent, or a node_modules directory in the image. */
  npmModules: { kind: "agent-bundle" } | { kind: "node-modules"; dir: string };
}

export const DEBIAN_BASES: readonly DebianBase[] = [
  { name: "debian", suite: "bookworm", packages: ["ca-certificates"] },
  // The Code OSS stand-in needs what the real one has and the hardening must remove or keep working.
  { name: "debian-workstation", suite: "bookworm", packages: ["ca-certificates", "curl", "sudo"] },
];

export const STAND_INS: readonly StandIn[] = [
  {
    name: "node24-slim",
    standsInFor: "node:24-bookworm-slim / node:24-slim",
    dockerfile: "images/build/stand-ins/node24-slim.Dockerfile",
    debianBase: "debian",
    context: ["node", "npm"],
  },
  {
    name: "distroless-nodejs24",
    standsInFor: "gcr.io/distroless/nodejs24-debian12:nonroot",
    dockerfile: "images/build/stand-ins/distroless-nodejs24.Dockerfile",
    debianBase: "debian",
    context: ["node"],
  },
  {
    name: "code-oss",
    standsInFor: "us-central1-docker.pkg.dev/cloud-workstations-images/predefined/code-oss",
    dockerfile: "images/build/stand-ins/code-oss.Dockerfile",
    debianBase: "debian-workstation",
    context: ["files"],
  },
];

export const PRODUCT_IMAGES: readonly ProductImage[] = [
  {
    name: "docker",
    dockerfile: "images/docker/Dockerfile",
    tag: "localhost/coditect/docker:dev",
    baseArgs: { NODE_IMAGE: "node24-slim" },
    npmModules: { kind: "agent-bundle" },
  },
  {
    name: "workstation",
    dockerfile: "images/workstation/Dockerfile",
    tag: "localhost/coditect/workstation:dev",
    baseArgs: { NODE_IMAGE: "node24-slim", CODE_OSS_IMAGE: "code-oss" },
    npmModules: { kind: "agent-bundle" },
  },
  {
    name: "billing",
    dockerfile: "billing/Dockerfile",
    tag: "localhost/coditect/billing:dev",
    baseArgs: { NODE_BUILD_IMAGE: "node24-slim", NODE_RUNTIME_IMAGE: "distroless-nodejs24" },
    npmModules: { kind: "node-modules", dir: "/app/node_modules" },
  },
  {
    name: "operator",
    dockerfile: "operator/Dockerfile",
    tag: "localhost/coditect/operator:dev",
    baseArgs: { NODE_BUILD_IMAGE: "node24-slim", NODE_RUNTIME_IMAGE: "distroless-nodejs24" },
    npmModules: { kind: "node-modules", dir: "/app/node_modules" },
  },
];

/** 12 hex characters of SHA-256 over the parts: the cache key in a base image's tag. */
export function cacheKey(...parts: readonly string[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(`${part.length}:${part}`);
  return hash.digest("hex").slice(0, 12);
}

/** The tag of a Debian base: changes when its suite or package list does (order does not matter). */
export function debianBaseTag(base: DebianBase): string {
  return `localhost/coditect-build/${base.name}:${cacheKey(base.suite, ...[...base.packages].sort())}`;
}

/**
 * The tag of a stand-in: its Debian base's tag, its Dockerfile's text and the versions of what is copied
 * in, so a new Node release or an edited stand-in Dockerfile builds a new one.
 */
export function standInTag(
  standIn: StandIn,
  baseTag: string,
  dockerfileText: string,
  inputs: string,
): string {
  return `localhost/coditect-build/${standIn.name}:${cacheKey(baseTag, dockerfileText, inputs)}`;
}

/** The images a command line asks for: all when none is named; an unknown name is an error naming it. */
export function selectImages(names: readonly string[]): ProductImage[] {
  const unknown = names.filter((n) => !(IMAGE_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0) throw new Error(`unknown image "${unknown[0]}" (known: ${IMAGE_NAMES.join(", ")})`);
  return names.length === 0 ? [...PRODUCT_IMAGES] : PRODUCT_IMAGES.filter((i) => names.includes(i.name));
}

/** The stand-ins the selected images need, in build order. */
export function standInsFor(images: readonly ProductImage[]): StandIn[] {
  const needed = new Set(images.flatMap((i) => Object.values(i.baseArgs)));
  return STAND_INS.filter((s) => needed.has(s.name));
}
