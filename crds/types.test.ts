import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import {
  CONTAINER_TYPES,
  LICENSE_STATES,
  LICENSE_TIER_NAMES,
  PROVISIONING_TYPES,
  SESSION_STATES,
  WORKSTATION_TIER_NAMES,
} from "../lib/domain.js";
import { generateTypes, TYPES_FILE } from "./generate-types.js";
import { CRD_DIR, type CrdSchema, loadCrds, schemaFor } from "./load.js";

const crds = loadCrds();

function fieldsWithoutDescription(schema: CrdSchema, path: string): string[] {
  const missing: string[] = [];
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    const childPath = `${path}.${name}`;
    if (name !== "metadata" && !child.description) missing.push(childPath);
    missing.push(...fieldsWithoutDescription(child, childPath));
  }
  if (schema.items) missing.push(...fieldsWithoutDescription(schema.items, `${path}[]`));
  return missing;
}

describe("CRDs", () => {
  it("are the three coditect.ai kinds with short names, the coditect category and a status subresource", () => {
    expect(crds.map((c) => c.spec.names.kind).sort()).toEqual(["ContainerSession", "License", "Workstation"]);
    for (const crd of crds) {
      expect(crd.spec.group).toBe("coditect.ai");
      expect(crd.spec.scope).toBe("Namespaced");
      expect(crd.spec.names.categories).toContain("coditect");
      expect(crd.spec.versions.filter((v) => v.storage)).toHaveLength(1);
      expect(crd.spec.versions[0]?.subresources?.status).toBeDefined();
    }
    expect(Object.fromEntries(crds.map((c) => [c.spec.names.kind, c.spec.names.shortNames]))).toEqual({
      License: ["lic"],
      Workstation: ["ws"],
      ContainerSession: ["csess"],
    });
  });

  it("describe every field", () => {
    for (const crd of crds) {
      expect(
        fieldsWithoutDescription(crd.spec.versions[0]!.schema.openAPIV3Schema, crd.spec.names.kind),
      ).toEqual([]);
    }
  });

  it("use exactly the domain vocabulary of lib/domain.ts in their enums", () => {
    const license = schemaFor("License", crds).properties!.spec!.properties!;
    expect(license.tier!.enum).toEqual(LICENSE_TIER_NAMES);
    expect(license.state!.enum).toEqual([...LICENSE_STATES]);
    expect(license.provisioningType!.enum).toEqual([...PROVISIONING_TYPES]);
    expect(license.workstationTier!.enum).toEqual(WORKSTATION_TIER_NAMES);
    const workstation = schemaFor("Workstation", crds).properties!.spec!.properties!;
    expect(workstation.tier!.enum).toEqual(WORKSTATION_TIER_NAMES);
    const session = schemaFor("ContainerSession", crds).properties!;
    expect(session.spec!.properties!.containerType!.enum).toEqual([...CONTAINER_TYPES]);
    expect(session.status!.properties!.state!.enum).toEqual([...SESSION_STATES]);
  });

  it("make identity fields immutable with transition rules", () => {
    const rules = (schema: CrdSchema | undefined) =>
      (schema?.["x-kubernetes-validations"] ?? []).map((v) => v.rule);
    const license = schemaFor("License", crds).properties!.spec!.properties!;
    expect(rules(license.licenseId)).toContain("self == oldSelf");
    expect(rules(license.organization)).toContain("self == oldSelf");
    const workstation = schemaFor("Workstation", crds).properties!.spec!.properties!;
    expect(rules(workstation.licenseRef)).toContain("self == oldSelf");
    expect(rules(workstation.tier)).toContain("self == oldSelf");
    expect(rules(schemaFor("ContainerSession", crds).properties!.spec).join()).toContain(
      "self.containerId == oldSelf.containerId",
    );
  });

  it("have printer columns that point at fields the schema defines", () => {
    for (const crd of crds) {
      const version = crd.spec.versions[0]!;
      for (const column of version.additionalPrinterColumns ?? []) {
        if (column.jsonPath === ".metadata.creationTimestamp") continue;
        const [, section, field] = /^\.(spec|status)\.([A-Za-z]+)/.exec(column.jsonPath) ?? [];
        expect(section, `${crd.spec.names.kind} column ${column.name}`).toBeDefined();
        expect(
          version.schema.openAPIV3Schema.properties![section!]!.properties![field!],
          `${crd.spec.names.kind} ${column.jsonPath}`,
        ).toBeDefined();
      }
    }
  });
});

describe("crds/types.ts", () => {
  it("is exactly what the generator makes from the current CRDs (run `npm run crds:types` if this fails)", () => {
    const committed = readFileSync(TYPES_FILE, "utf8");
    // Compare modulo formatting: the formatter adds whitespace, trailing separators and leading union pipes.
    const normalise = (s: string) =>
      s
        .replace(/\s+/g, "")
        .replace(/[,;](?=[}\]])/g, "")
        .replace(/:\|/g, ":");
    expect(normalise(committed)).toEqual(normalise(generateTypes(crds)));
  });
});

describe("examples/", () => {
  it("hold one sample of each kind whose required spec fields are present", () => {
    const dir = join(CRD_DIR, "..", "examples");
    const objects = readdirSync(dir)
      .filter((f) => f.endsWith(".yaml"))
      .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), "utf8")).map((d) => d.toJS()));
    for (const kind of ["License", "Workstation", "ContainerSession"]) {
      const sample = objects.find((o) => o.kind === kind);
      expect(sample, kind).toBeDefined();
      for (const field of schemaFor(kind, crds).properties!.spec!.required ?? []) {
        expect(sample.spec, `${kind}.spec.${field}`).toHaveProperty(field);
      }
    }
  });
});
