/**
 * Integrity of a Notation JWS: `alg` must be the one the leaf key's type and size require
 * (signature-specification.md "Algorithm Selection"), and the JWS must verify with that key.
 */
import type { KeyObject } from 'node:crypto';
import { flattenedVerify } from 'jose';
import type { ChainCert } from './chain.js';
import type { NotationAlgorithm, NotationEnvelope } from './envelope.js';
import { NotationError } from './errors.js';

/** Verifies the JWS with the leaf certificate's key and returns the signed payload. */
export async function verifyIntegrity(envelope: NotationEnvelope, leaf: ChainCert): Promise<Uint8Array> {
  const required = requiredAlgorithm(leaf.node.publicKey);
  if (required !== envelope.header.alg) {
    throw new NotationError(
      'ALGORITHM_MISMATCH',
      `alg ${envelope.header.alg} does not match the signing key (${describeKey(leaf.node.publicKey)} requires ${required})`,
    );
  }
  try {
    const verified = await flattenedVerify(envelope.jws, leaf.node.publicKey, {
      algorithms: [envelope.header.alg],
      crit: Object.fromEntries(envelope.header.crit.map((name) => [name, true])),
    });
    return verified.payload;
  } catch (err) {
    throw new NotationError(
      'NOTATION_INTEGRITY',
      'the JWS signature does not verify with the signing certificate key',
      {
        cause: err,
      },
    );
  }
}

/** signature-specification.md "Algorithm Selection": the key type and size decide the algorithm. */
function requiredAlgorithm(key: KeyObject): NotationAlgorithm | 'none' {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec') {
    const byCurve: Readonly<Record<string, NotationAlgorithm>> = {
      prime256v1: 'ES256',
      secp384r1: 'ES384',
      secp521r1: 'ES512',
    };
    return byCurve[details?.namedCurve ?? ''] ?? 'none';
  }
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') {
    const bySize: Readonly<Record<number, NotationAlgorithm>> = { 2048: 'PS256', 3072: 'PS384', 4096: 'PS512' };
    return bySize[details?.modulusLength ?? 0] ?? 'none';
  }
  return 'none';
}

function describeKey(key: KeyObject): string {
  const d = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec') return `EC ${d?.namedCurve ?? '?'}`;
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') return `RSA ${d?.modulusLength ?? '?'}`;
  return key.asymmetricKeyType ?? 'unknown key';
}
