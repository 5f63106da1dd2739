import { describe, expect, it } from "vitest";
import { LineSplitter } from "./ndjson.js";

describe("LineSplitter (watch streams)", () => {
  it("hands out complete lines only, across chunks that end anywhere", () => {
    const lines = new LineSplitter();
    expect(lines.push('{"type":"ADDED"}\n{"ty')).toEqual(['{"type":"ADDED"}']);
    expect(lines.push('pe":"MODIFIED"}')).toEqual([]);
    expect(lines.push('\n\n{"type":"DELETED"}\n')).toEqual(['{"type":"MODIFIED"}', '{"type":"DELETED"}']);
    expect(lines.end()).toBe("");
  });

  it("decodes a multi-byte character split between two chunks", () => {
    const bytes = Buffer.from('{"name":"größe 🚀"}\n', "utf8");
    const rocket = bytes.indexOf(0xf0); // first byte of the 4-byte emoji
    const lines = new LineSplitter();
    expect(lines.push(bytes.subarray(0, rocket + 2))).toEqual([]);
    expect(lines.push(bytes.subarray(rocket + 2))).toEqual(['{"name":"größe 🚀"}']);
    const one = new LineSplitter();
    const each = [...bytes].flatMap((byte) => one.push(Uint8Array.of(byte)));
    expect(each).toEqual(['{"name":"größe 🚀"}']);
  });

  it("keeps a last line without its newline for end()", () => {
    const lines = new LineSplitter();
    expect(lines.push('{"a":1}\n{"b":')).toEqual(['{"a":1}']);
    expect(lines.end()).toBe('{"b":');
  });
});
