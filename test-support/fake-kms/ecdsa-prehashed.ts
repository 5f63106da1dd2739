/**
 * ECDSA signing of a digest the caller already computed, which is what Cloud KMS does for
 * AsymmetricSign({digest}) — node:crypto and WebCrypto only sign messages (they hash first), so the fake
 * does the curve arithmetic itself (SEC 1 §4.1.3) with BigInt. Slow next to OpenSSL and not constant-time:
 * fine for a local fake, never for production keys. Verification is node:crypto's own (the tests check it).
 *
 * Test infrastructure: not used in production.
 */
import crypto from "node:crypto";

interface Curve {
  p: bigint;
  n: bigint;
  a: bigint;
  gx: bigint;
  gy: bigint;
  bytes: number;
}

// FIPS 186-4 D.1.2.4 (P-384) and D.1.2.3 (P-256); a = -3 mod p for both.
const CURVES: Record<"P-384" | "P-256", Curve> = {
  "P-384": {
    p: BigInt(
      "0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff",
    ),
    n: BigInt(
      "0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973",
    ),
    a: 0n,
    gx: BigInt(
      "0xaa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7",
    ),
    gy: BigInt(
      "0x3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5f",
    ),
    bytes: 48,
  },
  "P-256": {
    p: BigInt("0xffffffff00000001000000000000000000000000ffffffffffffffffffffffff"),
    n: BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"),
    a: 0n,
    gx: BigInt("0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"),
    gy: BigInt("0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"),
    bytes: 32,
  },
};
for (const curve of Object.values(CURVES)) curve.a = curve.p - 3n;

const mod = (x: bigint, m: bigint) => ((x % m) + m) % m;

function inverse(x: bigint, m: bigint): bigint {
  let [a, b, u, v] = [mod(x, m), m, 1n, 0n];
  while (a !== 0n) {
    const q = b / a;
    [a, b] = [b - q * a, a];
    [u, v] = [v - q * u, u];
  }
  return mod(v, m);
}

type Point = { x: bigint; y: bigint } | null;

function add(c: Curve, P: Point, Q: Point): Point {
  if (!P) return Q;
  if (!Q) return P;
  if (P.x === Q.x && mod(P.y + Q.y, c.p) === 0n) return null;
  const lambda =
    P.x === Q.x && P.y === Q.y
      ? mod((3n * P.x * P.x + c.a) * inverse(2n * P.y, c.p), c.p)
      : mod((Q.y - P.y) * inverse(Q.x - P.x, c.p), c.p);
  const x = mod(lambda * lambda - P.x - Q.x, c.p);
  return { x, y: mod(lambda * (P.x - x) - P.y, c.p) };
}

function multiply(c: Curve, k: bigint, P: Point): Point {
  let result: Point = null;
  let addend = P;
  for (let bits = k; bits > 0n; bits >>= 1n) {
    if (bits & 1n) result = add(c, result, addend);
    addend = add(c, addend, addend);
  }
  return result;
}

const toBigInt = (bytes: Uint8Array) => BigInt(`0x${Buffer.from(bytes).toString("hex") || "0"}`);

function derInteger(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, "hex");
  if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
}

/** DER `SEQUENCE { r INTEGER, s INTEGER }`, the encoding Cloud KMS returns for EC signatures. */
function derSignature(r: bigint, s: bigint): Buffer {
  const body = Buffer.concat([derInteger(r), derInteger(s)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

/** Signs `digest` (already hashed) with an EC private key; returns a DER signature. */
export function signDigest(privateKey: crypto.KeyObject, digest: Uint8Array): Buffer {
  const jwk = privateKey.export({ format: "jwk" });
  const curve = CURVES[jwk.crv as keyof typeof CURVES];
  if (!curve || !jwk.d) throw new Error(`signDigest: unsupported key (curve ${jwk.crv})`);
  const d = toBigInt(Buffer.from(jwk.d, "base64url"));
  // SEC 1 4.1.3 step 5: the leftmost bits of the digest, as many as the order has.
  const e = toBigInt(digest.subarray(0, curve.bytes));
  for (;;) {
    const k = mod(toBigInt(crypto.randomBytes(curve.bytes + 8)), curve.n - 1n) + 1n;
    const R = multiply(curve, k, { x: curve.gx, y: curve.gy });
    if (!R) continue;
    const r = mod(R.x, curve.n);
    if (r === 0n) continue;
    const s = mod(inverse(k, curve.n) * (e + r * d), curve.n);
    if (s === 0n) continue;
    return derSignature(r, s);
  }
}
