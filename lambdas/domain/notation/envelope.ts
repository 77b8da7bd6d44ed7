/**
 * Notation (Notary Project) signature envelopes: parsing only, no trust decisions.
 *
 * Sources: Notary Project `specs/signature-specification.md` (signed and unsigned attributes,
 * payload) and `specs/signature-envelope-jws.md` (JWS JSON serialization). The envelope is a
 * flattened JWS JSON object `{ payload, protected, header: { x5c, … }, signature }`; the protected
 * header carries `cty`, `alg`, `crit` and the `io.cncf.notary.*` signed attributes, and the
 * unprotected header carries the certificate chain (`x5c`, leaf first) and the optional RFC 3161
 * timestamp countersignature.
 *
 * COSE (`application/cose`) envelopes are recognised and rejected: they are not supported.
 */
import { formatIssues, safeParseJsonValue } from '../document.js';
import { TooLargeError } from '../errors.js';
import { Limits } from '../limits.js';
import { DescriptorSchema } from '../oci.js';
import * as z from '../zod.js';
import { NotationError } from './errors.js';

export const NotationMediaTypes = {
  /** `artifactType` (or, before OCI 1.1, `config.mediaType`) of a signature manifest. */
  signature: 'application/vnd.cncf.notary.signature',
  jws: 'application/jose+json',
  cose: 'application/cose',
  /** The `cty` of the payload. */
  payload: 'application/vnd.cncf.notary.payload.v1+json',
} as const;

/** Header parameter names defined by the Notary Project signature specification. */
export const NotaryHeaders = {
  signingScheme: 'io.cncf.notary.signingScheme',
  signingTime: 'io.cncf.notary.signingTime',
  authenticSigningTime: 'io.cncf.notary.authenticSigningTime',
  expiry: 'io.cncf.notary.expiry',
  verificationPlugin: 'io.cncf.notary.verificationPlugin',
  verificationPluginMinVersion: 'io.cncf.notary.verificationPluginMinVersion',
  signingAgent: 'io.cncf.notary.signingAgent',
  timestampSignature: 'io.cncf.notary.timestampSignature',
} as const;

/** The annotation on the signature manifest listing the SHA-256 fingerprints of the chain. */
export const THUMBPRINT_ANNOTATION = 'io.cncf.notary.x509chain.thumbprint#S256';

export const SIGNING_SCHEMES = ['notary.x509', 'notary.x509.signingAuthority'] as const;
export type SigningScheme = (typeof SIGNING_SCHEMES)[number];

/** JWS `alg` values the Notary Project allows (signature-specification.md "Signature Algorithm Requirements"). */
export const NOTATION_ALGORITHMS = ['PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'] as const;
export type NotationAlgorithm = (typeof NOTATION_ALGORITHMS)[number];

/** Largest envelope read; real ones (chain plus timestamp token) are a few tens of KB. */
export const NOTATION_ENVELOPE_MAX_BYTES = Limits.signaturePayloadBytes;
/** Longest `x5c` accepted: a leaf, a handful of intermediates and the root. */
export const NOTATION_MAX_CHAIN_LENGTH = 10;

// ---------------------------------------------------------------------------------------------
// Errors

// ---------------------------------------------------------------------------------------------
// Schemas

/** RFC 7515 §2: base64url without padding. Anything else is refused rather than repaired. */
const Base64Url = z.string().check(z.regex(/^[A-Za-z0-9_-]*$/, 'expected unpadded base64url'));
/** RFC 7515 §4.1.6: each x5c entry is standard base64 (not base64url) DER. */
const Base64 = z.string().check(z.regex(/^[A-Za-z0-9+/]+={0,2}$/, 'expected base64'));
/** RFC 3339 date-time, with `Z` or a numeric offset (notation writes `+08:00`). */
const Rfc3339 = z.iso.datetime({ offset: true });

const FlattenedJwsSchema = z.object({
  payload: Base64Url,
  protected: Base64Url.check(z.minLength(1)),
  signature: Base64Url.check(z.minLength(1)),
  header: z.optional(
    z.looseObject({
      x5c: z.optional(z.array(Base64).check(z.maxLength(NOTATION_MAX_CHAIN_LENGTH))),
      [NotaryHeaders.signingAgent]: z.optional(z.string()),
      // A Go []byte in notation-go, so standard base64.
      [NotaryHeaders.timestampSignature]: z.optional(Base64),
    }),
  ),
});

const STANDARD_PROTECTED = new Set<string>([
  'alg',
  'cty',
  'crit',
  NotaryHeaders.signingScheme,
  NotaryHeaders.signingTime,
  NotaryHeaders.authenticSigningTime,
  NotaryHeaders.expiry,
]);

const ProtectedHeaderSchema = z.looseObject({
  alg: z.string().check(z.minLength(1)),
  cty: z.string(),
  crit: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
  [NotaryHeaders.signingScheme]: z.string(),
  [NotaryHeaders.signingTime]: z.optional(Rfc3339),
  [NotaryHeaders.authenticSigningTime]: z.optional(Rfc3339),
  [NotaryHeaders.expiry]: z.optional(Rfc3339),
});

export const NotationPayloadSchema = z.object({
  targetArtifact: DescriptorSchema,
});
export type NotationPayload = z.infer<typeof NotationPayloadSchema>;

// ---------------------------------------------------------------------------------------------
// Parsed envelope

export interface NotationProtectedHeader {
  readonly alg: NotationAlgorithm;
  readonly cty: string;
  readonly crit: readonly string[];
  readonly signingScheme: SigningScheme;
  /** Unauthenticated signing time; required under `notary.x509`. */
  readonly signingTime?: Date;
  /** Authenticated signing time; required under `notary.x509.signingAuthority`. */
  readonly authenticSigningTime?: Date;
  readonly expiry?: Date;
}

export interface NotationEnvelope {
  readonly mediaType: typeof NotationMediaTypes.jws;
  /** The three JWS members exactly as found: the signature covers `protected + '.' + payload`. */
  readonly jws: { readonly protected: string; readonly payload: string; readonly signature: string };
  readonly header: NotationProtectedHeader;
  /** Protected header parameters outside the standard set (e.g. `com.amazonaws.signer.*`). */
  readonly extendedAttributes: Readonly<Record<string, unknown>>;
  /** DER certificates from `x5c`, leaf first. May be empty here; verification requires it. */
  readonly certificateChain: readonly Uint8Array[];
  readonly signingAgent?: string;
  /** True when an RFC 3161 countersignature is attached (not verified by this implementation). */
  readonly hasTimestampSignature: boolean;
  /** The decoded payload bytes; parse with `parseNotationPayload` once integrity is established. */
  readonly payloadBytes: Uint8Array;
}

/**
 * Parses a Notation signature envelope of the given media type. Checks the size first, then the
 * JWS JSON structure and the Notary protected header: `cty`, a known `alg`, a known signing
 * scheme with its time attribute, and the `crit` entries the spec requires. Whether every `crit`
 * entry is *understood* is decided by the verifier, not here.
 *
 * @throws NotationError `TOO_LARGE`, `MALFORMED_ENVELOPE`, or `UNSUPPORTED_ENVELOPE` for COSE and
 *   any other media type.
 */
export function parseNotationEnvelope(bytes: Uint8Array, mediaType: string = NotationMediaTypes.jws): NotationEnvelope {
  if (bytes.length > NOTATION_ENVELOPE_MAX_BYTES) {
    throw new NotationError(
      'TOO_LARGE',
      `signature envelope is ${bytes.length} bytes, above the limit of ${NOTATION_ENVELOPE_MAX_BYTES} bytes`,
    );
  }
  if (mediaType === NotationMediaTypes.cose) {
    throw new NotationError('UNSUPPORTED_ENVELOPE', 'COSE envelopes are not supported');
  }
  if (mediaType !== NotationMediaTypes.jws) {
    throw new NotationError('UNSUPPORTED_ENVELOPE', `signature envelope media type ${mediaType} is not supported`);
  }

  const json = parseJson(bytes, 'signature envelope');
  if (typeof json === 'object' && json !== null && 'signatures' in json) {
    throw new NotationError(
      'MALFORMED_ENVELOPE',
      'JWS general serialization is not allowed; Notary uses the flattened form',
    );
  }
  const jws = FlattenedJwsSchema.safeParse(json);
  if (!jws.success) {
    throw new NotationError('MALFORMED_ENVELOPE', `not a Notary JWS envelope: ${issues(jws.error)}`);
  }
  const { payload, signature, header: unprotected } = jws.data;

  const headerJson = parseJson(Buffer.from(jws.data.protected, 'base64url'), 'protected header');
  const parsed = ProtectedHeaderSchema.safeParse(headerJson);
  if (!parsed.success) {
    throw new NotationError('MALFORMED_ENVELOPE', `protected header: ${issues(parsed.error)}`);
  }
  const raw = parsed.data;
  const header = toProtectedHeader(raw);

  const extendedAttributes: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!STANDARD_PROTECTED.has(name)) extendedAttributes[name] = value;
  }

  const signingAgent = unprotected?.[NotaryHeaders.signingAgent];
  return {
    mediaType: NotationMediaTypes.jws,
    jws: { protected: jws.data.protected, payload, signature },
    header,
    extendedAttributes,
    certificateChain: (unprotected?.x5c ?? []).map((der) => new Uint8Array(Buffer.from(der, 'base64'))),
    ...(signingAgent !== undefined ? { signingAgent } : {}),
    hasTimestampSignature: unprotected?.[NotaryHeaders.timestampSignature] !== undefined,
    payloadBytes: new Uint8Array(Buffer.from(payload, 'base64url')),
  };
}

/**
 * Parses the signed payload `{ targetArtifact: <descriptor> }` (signature-specification.md "Payload").
 *
 * @throws NotationError `MALFORMED_ENVELOPE`
 */
export function parseNotationPayload(bytes: Uint8Array): NotationPayload {
  const parsed = NotationPayloadSchema.safeParse(parseJson(bytes, 'payload'));
  if (!parsed.success) {
    throw new NotationError('MALFORMED_ENVELOPE', `payload is not a Notary payload: ${issues(parsed.error)}`);
  }
  return parsed.data;
}

function toProtectedHeader(raw: z.infer<typeof ProtectedHeaderSchema>): NotationProtectedHeader {
  const fail = (message: string): never => {
    throw new NotationError('MALFORMED_ENVELOPE', `protected header: ${message}`);
  };
  if (raw.cty !== NotationMediaTypes.payload) {
    fail(`cty is ${raw.cty}, expected ${NotationMediaTypes.payload}`);
  }
  const scheme = raw[NotaryHeaders.signingScheme];
  if (!isSigningScheme(scheme)) {
    return fail(`signing scheme ${scheme} is not one of ${SIGNING_SCHEMES.join(', ')}`);
  }
  if (!isNotationAlgorithm(raw.alg)) {
    return fail(`alg ${raw.alg} is not one of ${NOTATION_ALGORITHMS.join(', ')}`);
  }
  const signingTime = raw[NotaryHeaders.signingTime];
  const authenticSigningTime = raw[NotaryHeaders.authenticSigningTime];
  const expiry = raw[NotaryHeaders.expiry];
  const crit = new Set(raw.crit);

  // signature-specification.md "Standard attributes": the scheme is always critical, the
  // authentic signing time and the expiry are critical when present.
  if (!crit.has(NotaryHeaders.signingScheme)) fail(`${NotaryHeaders.signingScheme} must be listed in crit`);
  if (expiry !== undefined && !crit.has(NotaryHeaders.expiry)) fail(`${NotaryHeaders.expiry} must be listed in crit`);
  if (scheme === 'notary.x509') {
    if (signingTime === undefined) fail(`${NotaryHeaders.signingTime} is required under notary.x509`);
    if (authenticSigningTime !== undefined) {
      fail(`${NotaryHeaders.authenticSigningTime} is only valid under notary.x509.signingAuthority`);
    }
  } else {
    if (authenticSigningTime === undefined) {
      fail(`${NotaryHeaders.authenticSigningTime} is required under notary.x509.signingAuthority`);
    }
    if (!crit.has(NotaryHeaders.authenticSigningTime)) {
      fail(`${NotaryHeaders.authenticSigningTime} must be listed in crit`);
    }
  }
  for (const name of raw.crit) {
    if (!(name in raw)) fail(`crit lists ${name}, which is not in the protected header`);
  }
  return {
    alg: raw.alg,
    cty: raw.cty,
    crit: raw.crit,
    signingScheme: scheme,
    ...(signingTime !== undefined ? { signingTime: new Date(signingTime) } : {}),
    ...(authenticSigningTime !== undefined ? { authenticSigningTime: new Date(authenticSigningTime) } : {}),
    ...(expiry !== undefined ? { expiry: new Date(expiry) } : {}),
  };
}

export function isSigningScheme(value: string): value is SigningScheme {
  return (SIGNING_SCHEMES as readonly string[]).includes(value);
}

function isNotationAlgorithm(value: string): value is NotationAlgorithm {
  return (NOTATION_ALGORITHMS as readonly string[]).includes(value);
}

/** JSON inside the envelope (size already checked against the envelope limit). */
function parseJson(bytes: Uint8Array, what: string): unknown {
  const parsed = safeParseJsonValue(bytes, { what, maxBytes: NOTATION_ENVELOPE_MAX_BYTES });
  if (!parsed.success) {
    const code = parsed.error instanceof TooLargeError ? 'TOO_LARGE' : 'MALFORMED_ENVELOPE';
    throw new NotationError(code, parsed.error.message, { cause: parsed.error });
  }
  return parsed.data;
}

function issues(error: z.$ZodError): string {
  return formatIssues(error.issues);
}
