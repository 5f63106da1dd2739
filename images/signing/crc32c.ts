/**
 * CRC32C (Castagnoli), the checksum Cloud KMS puts on every request and response so corruption between the
 * client and the HSM is detected (cloud.google.com/kms/docs/data-integrity-guidelines). node:zlib only has
 * the IEEE CRC32, and the one npm package for it is a native addon, so: a table-driven 30-line version.
 */
const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32c(data: Uint8Array | string): number {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  let crc = 0xffffffff;
  for (const byte of bytes) crc = TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** KMS sends checksums as google.protobuf.Int64Value: `{value: "123"}` (string longs) or a number. */
export function int64Value(field: unknown): number | undefined {
  if (field === null || field === undefined) return undefined;
  const raw = typeof field === "object" ? (field as { value?: unknown }).value : field;
  if (raw === undefined || raw === null) return undefined;
  const n = Number(typeof raw === "object" ? String(raw) : raw);
  return Number.isFinite(n) ? n : undefined;
}
