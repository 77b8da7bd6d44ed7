/**
 * Sigstore trusted root documents (`trusted_root.json`): the Fulcio CAs, Rekor logs, CT logs and
 * timestamp authorities a keyless bundle is verified against. The schema is protobuf-specs
 * `dev.sigstore.trustroot.v1.TrustedRoot` (sigstore_trustroot.proto); the library's own parser
 * (`TrustedRoot.fromJSON`) reads it and `toTrustMaterial` turns it into keys and certificates.
 *
 * The policy pins a root by its sha256 (`{ file, sha256 }`) and the deployment stores the file next
 * to the policy. A root whose bytes do not hash to the pin is refused: swapping the root would
 * swap every identity the gate trusts.
 */
import { createHash } from 'node:crypto';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial } from '@sigstore/verify';
import { parseJsonValue, validateDocument } from '../document.js';
import { DigestMismatchError, describeError, InvalidInputError, TooLargeError } from '../errors.js';
import { Limits } from '../limits.js';
import * as z from '../zod.js';
import { Sha256Pin, type TrustedRootPin } from './trusted-root-pin.js';

export { type TrustedRootPin, TrustedRootPinSchema } from './trusted-root-pin.js';

/**
 * Trusted roots are small (the public-good root is about 7 KB). They live next to the policy and
 * share its size limit.
 */
const TRUSTED_ROOT_MAX_BYTES = Limits.policyBytes;

/** `application/vnd.dev.sigstore.trustedroot+json;version=0.1` and the `.v0.2+json` form. */
const TRUSTED_ROOT_MEDIA_TYPE = /^application\/vnd\.dev\.sigstore\.trustedroot(\+json;version=0\.\d+|\.v0\.\d+\+json)$/;

const Base64 = z.string().check(z.regex(/^[A-Za-z0-9+/]+={0,2}$/, 'expected base64'));

// `end` absent or null: valid from `start` on, with no end (the public-good root writes `"end": null`).
const ValidForSchema = z.object({
  start: z.string().check(z.minLength(1)),
  end: z.nullish(z.string().check(z.minLength(1))),
});

const TransparencyLogSchema = z.object({
  baseUrl: z.string().check(z.minLength(1)),
  hashAlgorithm: z.string().check(z.minLength(1)),
  publicKey: z.object({
    rawBytes: Base64,
    keyDetails: z.string().check(z.minLength(1)),
    validFor: z.optional(ValidForSchema),
  }),
  logId: z.object({ keyId: Base64 }),
});

const CertificateAuthoritySchema = z.object({
  uri: z.optional(z.string()),
  certChain: z.object({ certificates: z.array(z.object({ rawBytes: Base64 })).check(z.minLength(1)) }),
  validFor: ValidForSchema,
});

/** The outer shape, checked before the document goes to the protobuf parser (which never throws on gaps). */
const TrustedRootShape = z.object({
  mediaType: z.string().check(z.regex(TRUSTED_ROOT_MEDIA_TYPE, 'not a Sigstore trusted root media type')),
  tlogs: z.array(TransparencyLogSchema),
  certificateAuthorities: z.array(CertificateAuthoritySchema),
  ctlogs: z.array(TransparencyLogSchema),
  timestampAuthorities: z._default(z.array(CertificateAuthoritySchema), []),
});

/** A parsed, validated trusted root and the digest it was loaded under. */
export interface TrustedRootDoc {
  /** `sha256:<hex>` of the exact bytes. */
  readonly sha256: string;
  readonly mediaType: string;
  /** The protobuf-specs message, as `@sigstore/verify`'s `toTrustMaterial` takes it. */
  readonly root: TrustedRoot;
  /** Counts, for reasons and reports. */
  readonly summary: {
    readonly tlogs: number;
    readonly certificateAuthorities: number;
    readonly ctlogs: number;
    readonly timestampAuthorities: number;
  };
}

/**
 * The two roots vendored in `./roots/` (copied from sigstore-python, Apache-2.0), with their pins.
 * `release-gate verify-bundle` uses production by default and staging with `--staging`.
 */
export const VENDORED_TRUSTED_ROOTS = {
  production: {
    file: 'sigstore-public-good-prod.trusted_root.json',
    sha256: 'sha256:6494e21ea73fa7ee769f85f57d5a3e6a08725eae1e38c755fc3517c9e6bc0b66',
  },
  staging: {
    file: 'sigstore-staging.trusted_root.json',
    sha256: 'sha256:81f5af777952d2c3955062ad56924c05ca916b5d49f3a0bce945faa475a8b1cc',
  },
} as const satisfies Record<string, TrustedRootPin>;

/** sha256 of a trusted root's exact bytes, in the form the policy pins (`sha256:<hex>`). */
export function trustedRootDigest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * Parses and validates a `trusted_root.json`. With `pin`, the bytes must hash to `pin.sha256`
 * first (GateError DIGEST_MISMATCH otherwise). Throws TooLargeError above the size limit and
 * InvalidInputError for anything that is not a usable root (bad shape, undecodable keys or
 * certificates).
 */
export function parseTrustedRoot(bytes: Uint8Array, pin?: { readonly sha256: string }): TrustedRootDoc {
  if (bytes.length > TRUSTED_ROOT_MAX_BYTES) {
    throw new TooLargeError('trusted root', bytes.length, TRUSTED_ROOT_MAX_BYTES);
  }
  const sha256 = trustedRootDigest(bytes);
  if (pin !== undefined) {
    const expected = Sha256Pin.safeParse(pin.sha256);
    if (!expected.success) {
      throw new InvalidInputError(`trusted root pin ${JSON.stringify(pin.sha256)} is not a sha256 digest`);
    }
    if (expected.data !== sha256) {
      throw new DigestMismatchError(
        `trusted root hashes to ${sha256}, but the policy pins ${expected.data}; refusing it`,
      );
    }
  }
  const limits = { what: 'trusted root', maxBytes: TRUSTED_ROOT_MAX_BYTES };
  // The shape is checked here; TrustedRoot.fromJSON reads the whole value, fields the shape does not name too.
  const json = parseJsonValue(bytes, limits);
  const shape = validateDocument(json, TrustedRootShape, limits.what);
  const root = TrustedRoot.fromJSON(json);
  try {
    // Decodes every key and certificate now, so a broken root fails at load time, not mid-verification.
    toTrustMaterial(root);
  } catch (err) {
    throw new InvalidInputError(`trusted root has unusable key material: ${describeError(err)}`, { cause: err });
  }
  return {
    sha256,
    mediaType: shape.mediaType,
    root,
    summary: {
      tlogs: shape.tlogs.length,
      certificateAuthorities: shape.certificateAuthorities.length,
      ctlogs: shape.ctlogs.length,
      timestampAuthorities: shape.timestampAuthorities.length,
    },
  };
}

/** A root that trusts nothing: what key-based verification uses when no root is configured. */
export function emptyTrustedRoot(): TrustedRoot {
  return TrustedRoot.fromJSON({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [],
    certificateAuthorities: [],
    ctlogs: [],
    timestampAuthorities: [],
  });
}
