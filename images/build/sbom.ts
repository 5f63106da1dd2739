/**
 * The SBOM of a built image, in SPDX 2.3 JSON (ADR 0182): the Debian packages its dpkg database lists as
 * installed and the npm modules it carries — those in its node_modules (billing, operator) or those
 * esbuild bundled into the session agent (docker, workstation). Pure: build.ts reads the files.
 */

export interface SbomPackage {
  ecosystem: "deb" | "npm";
  name: string;
  version: string;
  /** Debian architecture (deb only). */
  arch?: string;
}

/** The installed packages of a dpkg status file (`Status: install ok installed` stanzas only). */
export function parseDpkgStatus(text: string): SbomPackage[] {
  const packages: SbomPackage[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const field = (name: string) => new RegExp(`^${name}: (.*)$`, "m").exec(stanza)?.[1]?.trim();
    const name = field("Package");
    const version = field("Version");
    if (!name || !version || field("Status") !== "install ok installed") continue;
    packages.push({ ecosystem: "deb", name, version, arch: field("Architecture") });
  }
  return packages.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The npm packages an esbuild metafile's inputs come from (`node_modules/<name>/…`, scoped names, nested
 * node_modules): `versionOf(packageDirectory)` reads the version from that directory's package.json.
 */
export function bundledNpmPackages(
  inputs: readonly string[],
  versionOf: (packageDirectory: string) => string | undefined,
): SbomPackage[] {
  const dirs = new Set<string>();
  for (const input of inputs) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) dirs.add(m[1]!);
  }
  const seen = new Map<string, SbomPackage>();
  for (const dir of dirs) {
    const name = dir.slice(dir.lastIndexOf("node_modules/") + "node_modules/".length);
    const version = versionOf(dir);
    if (version) seen.set(`${name}@${version}`, { ecosystem: "npm", name, version });
  }
  return [...seen.values()].sort(
    (a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version),
  );
}

/** The package URL (purl) of a package: how SPDX consumers and scanners identify it. */
export function purl(p: SbomPackage): string {
  if (p.ecosystem === "deb")
    return `pkg:deb/debian/${encodeURIComponent(p.name)}@${encodeURIComponent(p.version)}${p.arch ? `?arch=${p.arch}` : ""}`;
  const [scope, bare] = p.name.startsWith("@") ? p.name.split("/") : [undefined, p.name];
  return `pkg:npm/${scope ? `${encodeURIComponent(scope)}/` : ""}${encodeURIComponent(bare!)}@${encodeURIComponent(p.version)}`;
}

/** SPDX identifiers allow letters, digits, "." and "-" only. */
function spdxId(...parts: string[]): string {
  return `SPDXRef-${parts.join("-").replace(/[^A-Za-z0-9.-]/g, "-")}`;
}

export interface SbomSubject {
  /** Image name (docker, workstation, billing, operator). */
  name: string;
  /** The image's config digest (`sha256:…`, podman's image id). */
  imageId: string;
  /** Build stand-ins used instead of production bases (recorded so the SBOM does not pass for production's). */
  baseImages: Record<string, string>;
}

/** The SPDX 2.3 document: the image as the described package, containing every package found. */
export function spdxDocument(subject: SbomSubject, packages: readonly SbomPackage[], created: Date) {
  const imageRef = spdxId("Image", subject.name);
  const digest = subject.imageId.replace(/^sha256:/, "");
  return {
    spdxVersion: "SPDX-2.3",
    dataLicense: "CC0-1.0",
    SPDXID: "SPDXRef-DOCUMENT",
    name: `coditect-${subject.name}-image`,
    documentNamespace: `https://coditect.ai/spdx/images/${subject.name}/${digest}`,
    creationInfo: {
      created: created.toISOString().replace(/\.\d{3}Z$/, "Z"),
      creators: ["Tool: coditect-images-build", "Organization: CODITECT"],
      comment: `Base images: ${Object.entries(subject.baseImages)
        .map(([arg, ref]) => `${arg}=${ref}`)
        .join(", ")}`,
    },
    packages: [
      {
        name: `coditect-${subject.name}`,
        SPDXID: imageRef,
        downloadLocation: "NOASSERTION",
        filesAnalyzed: false,
        primaryPackagePurpose: "CONTAINER",
        checksums: [{ algorithm: "SHA256", checksumValue: digest }],
      },
      ...packages.map((p) => ({
        name: p.name,
        SPDXID: spdxId(p.ecosystem, p.name, p.version),
        versionInfo: p.version,
        downloadLocation: "NOASSERTION",
        filesAnalyzed: false,
        primaryPackagePurpose: p.ecosystem === "deb" ? "OPERATING-SYSTEM" : "LIBRARY",
        externalRefs: [
          { referenceCategory: "PACKAGE-MANAGER", referenceType: "purl", referenceLocator: purl(p) },
        ],
      })),
    ],
    relationships: [
      { spdxElementId: "SPDXRef-DOCUMENT", relationshipType: "DESCRIBES", relatedSpdxElement: imageRef },
      ...packages.map((p) => ({
        spdxElementId: imageRef,
        relationshipType: "CONTAINS",
        relatedSpdxElement: spdxId(p.ecosystem, p.name, p.version),
      })),
    ],
  };
}
