/**
 * ECDSA P-256 over a digest given as is, the way KMS `Sign` with `MessageType: DIGEST` signs: the
 * test KMS needs it, and Node's crypto always hashes the message itself (`sign(null, …)` on an EC
 * key hashes with SHA-256 again). Hand-written because no ECDSA library is a dependency; it is
 * test-only, not constant-time, and its output is checked by Node's own `verify`.
 * SEC 1 v2 §4.1.3 (signing), FIPS 186-4 D.1.2.3 (P-256 parameters).
 */
import { type KeyObject, randomBytes } from 'node:crypto';

const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const A = P - 3n;
const G = {
  x: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
  y: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
};
type Point = { x: bigint; y: bigint } | null;

const mod = (a: bigint, m: bigint) => ((a % m) + m) % m;
function inverse(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [mod(a, m), m, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1, s0, s1] = [r1, r0 - q * r1, s1, s0 - q * s1];
  }
  return mod(s0, m);
}
function add(p: Point, q: Point): Point {
  if (p === null) return q;
  if (q === null) return p;
  if (p.x === q.x && mod(p.y + q.y, P) === 0n) return null;
  const l =
    p.x === q.x && p.y === q.y
      ? mod((3n * p.x * p.x + A) * inverse(2n * p.y, P), P)
      : mod((q.y - p.y) * inverse(q.x - p.x, P), P);
  const x = mod(l * l - p.x - q.x, P);
  return { x, y: mod(l * (p.x - x) - p.y, P) };
}
function multiply(k: bigint, p: Point): Point {
  let result: Point = null;
  let addend = p;
  for (let n = k; n > 0n; n >>= 1n) {
    if (n & 1n) result = add(result, addend);
    addend = add(addend, addend);
  }
  return result;
}
const toBigInt = (b: Uint8Array) => BigInt(`0x${Buffer.from(b).toString('hex') || '0'}`);
function derInteger(v: bigint): Buffer {
  let hex = v.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
}

/** Signs a 32-byte digest with a P-256 private key; ASN.1 DER `SEQUENCE { r, s }`, as KMS returns. */
export function signDigestP256(privateKey: KeyObject, digest: Uint8Array): Uint8Array {
  const jwk = privateKey.export({ format: 'jwk' });
  const d = toBigInt(Buffer.from(jwk.d ?? '', 'base64url'));
  const z = toBigInt(digest);
  for (;;) {
    const k = mod(toBigInt(randomBytes(40)), N - 1n) + 1n;
    const point = multiply(k, G);
    if (point === null) continue;
    const r = mod(point.x, N);
    const s = mod(inverse(k, N) * (z + r * d), N);
    if (r === 0n || s === 0n) continue;
    const body = Buffer.concat([derInteger(r), derInteger(s)]);
    return new Uint8Array(Buffer.concat([Buffer.from([0x30, body.length]), body]));
  }
}
