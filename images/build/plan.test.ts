import { describe, expect, it } from "vitest";
import { DEBIAN_BASES, debianBaseTag, IMAGE_NAMES, selectImages, standInsFor } from "./plan.js";

describe("selectImages", () => {
  it("selects every image when none is named, and only the named ones otherwise", () => {
    expect(selectImages([]).map((i) => i.name)).toEqual([...IMAGE_NAMES]);
    expect(selectImages(["operator", "docker"]).map((i) => i.name)).toEqual(["docker", "operator"]);
  });

  it("names an unknown image and the known ones", () => {
    expect(() => selectImages(["docker", "dokcer"])).toThrow(
      'unknown image "dokcer" (known: docker, workstation, billing, operator)',
    );
  });
});

describe("standInsFor", () => {
  it("needs only the stand-ins the selected images' Dockerfiles take as bases", () => {
    expect(standInsFor(selectImages(["docker"])).map((s) => s.name)).toEqual(["node24-slim"]);
    expect(standInsFor(selectImages(["workstation", "billing"])).map((s) => s.name)).toEqual([
      "node24-slim",
      "distroless-nodejs24",
      "code-oss",
    ]);
  });
});

describe("debianBaseTag", () => {
  it("is keyed by suite and package list, whatever the list's order", () => {
    const base = DEBIAN_BASES[1]!;
    const tag = debianBaseTag(base);
    expect(tag).toMatch(/^localhost\/coditect-build\/debian-workstation:[0-9a-f]{12}$/);
    expect(debianBaseTag({ ...base, packages: [...base.packages].reverse() })).toBe(tag);
    expect(debianBaseTag({ ...base, packages: [...base.packages, "git"] })).not.toBe(tag);
    expect(debianBaseTag({ ...base, suite: "trixie" })).not.toBe(tag);
  });
});
