// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  webcrypto,
} from 'node:crypto';
import {
  Attribute,
  CertificateChoices,
  CertificateSet,
  ContentInfo,
  DigestAlgorithmIdentifiers,
  EncapsulatedContent,
  EncapsulatedContentInfo,
  IssuerAndSerialNumber,
  id_signedData,
  SignedData,
  SignerIdentifier,
  SignerInfo,
  SignerInfos,
} from '@peculiar/asn1-cms';
import { AsnArray, AsnConvert, AsnType, AsnTypeTypes, OctetString } from '@peculiar/asn1-schema';
import { id_ct_tstInfo, MessageImprint, PKIStatus, PKIStatusInfo, TimeStampResp, TSTInfo } from '@peculiar/asn1-tsp';
import { AlgorithmIdentifier, Certificate } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import { type Bundle, bundleToJSON, toDSSEBundle } from '@sigstore/bundle';
import { HashAlgorithm, PublicKeyDetails } from '@sigstore/protobuf-specs';
import { Entry } from '@sigstore/protobuf-specs/rekor/v2';
import { OctetString as Asn1OctetString, ObjectIdentifier, Utf8String } from 'asn1js';
import { pae } from '../../cli/fixtures/sign.js';
import { MediaTypes } from '../../lambdas/domain/oci.js';

/**
 * A private Sigstore instance for tests, on the producer side: a Fulcio-like CA that issues
 * short-lived certificates with an embedded SCT from a CT log, a Rekor v2 log (Ed25519 key,
 * C2SP signed-note checkpoints over an RFC 9162 Merkle tree, no SET and no integrated time), and
 * an RFC 3161 timestamp authority, with the `trusted_root.json` that trusts them. It makes real
 * bundles with real signatures, written from the specs (protobuf-specs sigstore_bundle.proto and
 * rekor/v2, C2SP tlog-checkpoint and signed-note, RFC 6962 §3.2, RFC 3161, RFC 5652),
 * independently of the verifier in lambdas/domain/sigstore. Node cannot create certificates or
 * CMS, so `@peculiar/x509` and the `@peculiar/asn1-*` schemas do that part.
 */

x509.cryptoProvider.set(webcrypto);

const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const OID = {
  codeSigning: '1.3.6.1.5.5.7.3.3',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  fulcioIssuerV2: '1.3.6.1.4.1.57264.1.8',
  sctList: '1.3.6.1.4.1.11129.2.4.2',
  sha256: '2.16.840.1.101.3.4.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  tsaPolicy: '1.3.6.1.4.1.57264.2',
} as const;

/** When the instance's keys and CAs become valid (the trusted root's `validFor.start`). */
export const INSTANCE_START = new Date('2025-01-01T00:00:00Z');

/** A keyless signer's identity as Fulcio writes it: SAN (URI) and OIDC issuer extension. */
export interface FulcioIdentity {
  readonly san: string;
  readonly issuer: string;
}

/** What the Rekor v2 log records for a DSSE envelope. */
export type RekorV2EntryKind =
  /** `hashedrekord` 0.0.2 over Hash(PAE): what Rekor v2 clients upload for DSSE (rekor-v2 spec §6.1.4). */
  | 'hashedrekord'
  /** `dsse` 0.0.2 over the payload hash: the earlier Rekor v2 DSSE type. */
  | 'dsse';

export interface RekorV2BundleOptions {
  /** The in-toto statement the DSSE envelope carries. */
  readonly statement: Uint8Array;
  /** Signing time: the RFC 3161 timestamp's genTime and the middle of the certificate's 10 minutes. */
  readonly signedAt: Date;
  /** @default 'hashedrekord' */
  readonly entryKind?: RekorV2EntryKind;
  /** Attach the TSA timestamp over the signature. @default true */
  readonly timestamp?: boolean;
  /** The timestamp's genTime. @default - signedAt */
  readonly timestampAt?: Date;
  /** Include the log entry. @default true */
  readonly tlogEntry?: boolean;
  /**
   * Log (and prove) an entry whose digest is of this statement instead of the one the envelope
   * carries, with the envelope's signature. @default - the same statement
   */
  readonly loggedStatement?: Uint8Array;
  /** Log a second, equally valid signature over the same content instead of the envelope's. @default false */
  readonly resignForLog?: boolean;
  /** Sign the checkpoint with this Ed25519 key instead of the log's. @default - the log key */
  readonly checkpointKey?: KeyObject;
}

export interface KeylessBundleOptions extends RekorV2BundleOptions {
  readonly identity: FulcioIdentity;
}

export interface KeyedBundleOptions extends RekorV2BundleOptions {
  /** The signer's P-256 private key. */
  readonly privateKey: KeyObject;
  readonly keyHint?: string;
}

export interface TrustedRootOptions {
  /** List the Rekor v2 log under `tlogs`. @default true */
  readonly withRekorV2?: boolean;
  /** List the TSA under `timestampAuthorities`. @default true */
  readonly withTimestampAuthority?: boolean;
}

export interface SigstoreTestInstance {
  /** `trusted_root.json` bytes trusting this instance's CA, CT log, Rekor v2 log and TSA. */
  trustedRoot(opts?: TrustedRootOptions): Uint8Array;
  keylessBundle(opts: KeylessBundleOptions): Promise<Uint8Array>;
  keyedBundle(opts: KeyedBundleOptions): Promise<Uint8Array>;
}

/** Creates a fresh instance: every key is new, so two instances never trust each other. */
export async function sigstoreTestInstance(name = 'release-gate-test'): Promise<SigstoreTestInstance> {
  const fulcio = await selfSignedCa(`O=${name}, CN=${name}-fulcio`);
  const tsa = await timestampAuthority(name);
  const ctlog = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ctlogSpki = ctlog.publicKey.export({ type: 'spki', format: 'der' });
  const ctlogId = createHash('sha256').update(ctlogSpki).digest();
  const log = rekorV2Log(`rekor-v2.${name}.example`);

  function trustedRoot(opts: TrustedRootOptions = {}): Uint8Array {
    const validFor = { start: INSTANCE_START.toISOString() };
    const root = {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs:
        opts.withRekorV2 === false
          ? []
          : [
              {
                baseUrl: `https://${log.origin}`,
                hashAlgorithm: 'SHA2_256',
                publicKey: { rawBytes: b64(log.spki), keyDetails: 'PKIX_ED25519', validFor },
                // sigstore_trustroot.proto: a Rekor v2 log sets both to its signed-note key ID.
                logId: { keyId: b64(log.keyId) },
                checkpointKeyId: { keyId: b64(log.keyId) },
              },
            ],
      certificateAuthorities: [
        {
          uri: `https://fulcio.${name}.example`,
          certChain: { certificates: [{ rawBytes: b64(fulcio.der) }] },
          validFor,
        },
      ],
      ctlogs: [
        {
          baseUrl: `https://ctfe.${name}.example`,
          hashAlgorithm: 'SHA2_256',
          publicKey: { rawBytes: b64(ctlogSpki), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor },
          logId: { keyId: b64(ctlogId) },
        },
      ],
      timestampAuthorities: [
        ...(opts.withTimestampAuthority === false
          ? []
          : [
              {
                uri: `https://tsa.${name}.example`,
                certChain: { certificates: [{ rawBytes: b64(tsa.leaf.der) }, { rawBytes: b64(tsa.ca.der) }] },
                validFor,
              },
            ]),
      ],
    };
    return new TextEncoder().encode(JSON.stringify(root));
  }

  async function keylessBundle(opts: KeylessBundleOptions): Promise<Uint8Array> {
    const signer = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const cert = await fulcioCertificate(fulcio, signer.publicKey, opts.identity, opts.signedAt, (preCert) =>
      sctList(ctlog.privateKey, ctlogId, fulcio.spki, preCert, opts.signedAt),
    );
    const signature = sign('sha256', pae(MediaTypes.inTotoPayload, opts.statement), signer.privateKey);
    const bundle = toDSSEBundle({
      artifact: Buffer.from(opts.statement),
      artifactType: MediaTypes.inTotoPayload,
      signature,
      certificate: Buffer.from(cert),
    });
    return finish(bundle, opts, signature, { x509Certificate: { rawBytes: Buffer.from(cert) } }, signer.privateKey);
  }

  async function keyedBundle(opts: KeyedBundleOptions): Promise<Uint8Array> {
    const signature = sign('sha256', pae(MediaTypes.inTotoPayload, opts.statement), opts.privateKey);
    const spki = createPublicKey(opts.privateKey).export({ type: 'spki', format: 'der' });
    const bundle = toDSSEBundle({
      artifact: Buffer.from(opts.statement),
      artifactType: MediaTypes.inTotoPayload,
      signature,
      keyHint: opts.keyHint ?? '',
    });
    return finish(bundle, opts, signature, { publicKey: { rawBytes: spki } }, opts.privateKey);
  }

  /** Logs the entry, proves its inclusion, timestamps the signature and serializes the bundle. */
  function finish(
    bundle: Bundle,
    opts: RekorV2BundleOptions,
    signature: Buffer,
    verifier: VerifierJson,
    privateKey: KeyObject,
  ): Uint8Array {
    const logged = opts.loggedStatement ?? opts.statement;
    // ECDSA signatures are randomized: signing again gives another valid signature.
    const loggedSignature =
      opts.resignForLog === true ? sign('sha256', pae(MediaTypes.inTotoPayload, logged), privateKey) : signature;
    const body = entryBody(opts.entryKind ?? 'hashedrekord', logged, loggedSignature, verifier);
    const withLog: Bundle =
      opts.tlogEntry === false
        ? bundle
        : {
            ...bundle,
            verificationMaterial: {
              ...bundle.verificationMaterial,
              tlogEntries: [log.append(body, opts.entryKind ?? 'hashedrekord', opts.checkpointKey)],
            },
          };
    const withTime: Bundle =
      opts.timestamp === false
        ? withLog
        : {
            ...withLog,
            verificationMaterial: {
              ...withLog.verificationMaterial,
              timestampVerificationData: {
                rfc3161Timestamps: [{ signedTimestamp: tsa.stamp(signature, opts.timestampAt ?? opts.signedAt) }],
              },
            },
          };
    return new TextEncoder().encode(JSON.stringify(bundleToJSON(withTime)));
  }

  return { trustedRoot, keylessBundle, keyedBundle };
}

type VerifierJson = { publicKey: { rawBytes: Buffer } } | { x509Certificate: { rawBytes: Buffer } };

/** The canonicalized Rekor v2 entry body (rekor/v2/entry.proto as JSON, keys sorted as RFC 8785 does). */
function entryBody(kind: RekorV2EntryKind, statement: Uint8Array, signature: Buffer, verifier: VerifierJson): Buffer {
  const verifierMessage = {
    verifier:
      'publicKey' in verifier
        ? { $case: 'publicKey' as const, publicKey: verifier.publicKey }
        : { $case: 'x509Certificate' as const, x509Certificate: verifier.x509Certificate },
    keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256,
  };
  const spec =
    kind === 'hashedrekord'
      ? {
          $case: 'hashedRekordV002' as const,
          hashedRekordV002: {
            data: { algorithm: HashAlgorithm.SHA2_256, digest: sha256(pae(MediaTypes.inTotoPayload, statement)) },
            signature: { content: signature, verifier: verifierMessage },
          },
        }
      : {
          $case: 'dsseV002' as const,
          dsseV002: {
            payloadHash: { algorithm: HashAlgorithm.SHA2_256, digest: sha256(statement) },
            signatures: [{ content: signature, verifier: verifierMessage }],
          },
        };
  const json = Entry.toJSON({ kind, apiVersion: '0.0.2', spec: { spec } });
  return Buffer.from(canonicalJson(json));
}

/**
 * RFC 8785 for the values an entry holds (objects, arrays, strings): keys sorted by code unit, as
 * the log canonicalizes bodies. Hand-written: verifiers parse the body, so only realism is at stake.
 */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

interface RekorV2Log {
  readonly origin: string;
  readonly spki: Buffer;
  /** C2SP signed-note key ID: SHA-256(origin || 0x0A || 0x01 || Ed25519 public key); the trusted root's logId. */
  readonly keyId: Buffer;
  append(
    body: Buffer,
    kind: RekorV2EntryKind,
    checkpointKey?: KeyObject,
  ): Bundle['verificationMaterial']['tlogEntries'][number];
}

/**
 * A Rekor v2 (tile-based) log in memory. Every append adds a few other entries around the new one,
 * so the inclusion proof has siblings on both sides, and signs a checkpoint over the new tree.
 */
function rekorV2Log(origin: string): RekorV2Log {
  const key = generateKeyPairSync('ed25519');
  const spki = key.publicKey.export({ type: 'spki', format: 'der' });
  const raw = spki.subarray(spki.length - 32);
  const keyId = sha256(Buffer.concat([Buffer.from(`${origin}\n`), Buffer.from([0x01]), raw]));
  const leaves: Buffer[] = [];

  function append(body: Buffer, kind: RekorV2EntryKind, checkpointKey?: KeyObject) {
    for (let i = 0; i < 3; i++) leaves.push(leafHash(randomBytes(48)));
    const index = leaves.length;
    leaves.push(leafHash(body));
    for (let i = 0; i < 2; i++) leaves.push(leafHash(randomBytes(48)));
    const rootHash = merkleRoot(leaves);
    const note = `${origin}\n${leaves.length}\n${b64(rootHash)}\n`;
    const signature = sign(null, Buffer.from(note), checkpointKey ?? key.privateKey);
    const envelope = `${note}\n\u2014 ${origin} ${b64(Buffer.concat([keyId.subarray(0, 4), signature]))}\n`;
    return {
      logIndex: String(index),
      logId: { keyId },
      kindVersion: { kind, version: '0.0.2' },
      // Rekor v2 has no integrated time; the signing time comes from a timestamp authority.
      integratedTime: '0',
      inclusionPromise: undefined,
      inclusionProof: {
        logIndex: String(index),
        rootHash,
        treeSize: String(leaves.length),
        hashes: merklePath(index, leaves),
        checkpoint: { envelope },
      },
      canonicalizedBody: body,
    };
  }
  return { origin, spki, keyId, append };
}

/** RFC 9162 §2.1.1: leaf hash. */
function leafHash(data: Buffer): Buffer {
  return sha256(Buffer.concat([Buffer.from([0x00]), data]));
}

function nodeHash(left: Buffer, right: Buffer): Buffer {
  return sha256(Buffer.concat([Buffer.from([0x01]), left, right]));
}

/** Largest power of two smaller than n (n > 1). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** RFC 9162 §2.1.1 MTH over leaf hashes. Hand-written: a few lines, and no maintained JS package does only this. */
function merkleRoot(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 1) return leaves[0] ?? Buffer.alloc(0);
  const k = split(leaves.length);
  return nodeHash(merkleRoot(leaves.slice(0, k)), merkleRoot(leaves.slice(k)));
}

/** RFC 9162 §2.1.3.1 PATH(m, D[n]): the audit path, nearest sibling first. */
function merklePath(m: number, leaves: readonly Buffer[]): Buffer[] {
  if (leaves.length <= 1) return [];
  const k = split(leaves.length);
  return m < k
    ? [...merklePath(m, leaves.slice(0, k)), merkleRoot(leaves.slice(k))]
    : [...merklePath(m - k, leaves.slice(k)), merkleRoot(leaves.slice(0, k))];
}

interface CaCert {
  readonly der: Uint8Array;
  readonly spki: Buffer;
  readonly cert: x509.X509Certificate;
  readonly keys: webcrypto.CryptoKeyPair;
}

async function selfSignedCa(name: string): Promise<CaCert> {
  const keys = await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name,
    notBefore: INSTANCE_START,
    notAfter: new Date('2035-01-01T00:00:00Z'),
    keys,
    signingAlgorithm: EC_P256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const spki = Buffer.from(await webcrypto.subtle.exportKey('spki', keys.publicKey));
  return { der: new Uint8Array(cert.rawData), spki, cert, keys };
}

/**
 * A Fulcio-style leaf: 10 minutes around the signing time, code-signing EKU, the identity in the
 * SAN and the issuer extension, and an SCT list embedded over the precertificate (RFC 6962 §3.2):
 * the same TBS without the SCT extension, which is added last.
 */
async function fulcioCertificate(
  ca: CaCert,
  publicKey: KeyObject,
  identity: FulcioIdentity,
  signedAt: Date,
  scts: (precertTbs: Buffer) => Buffer,
): Promise<Uint8Array> {
  const subjectKey = await webcrypto.subtle.importKey(
    'spki',
    publicKey.export({ type: 'spki', format: 'der' }),
    { name: 'ECDSA', namedCurve: 'P-256' },
    true,
    ['verify'],
  );
  const base = {
    serialNumber: serial(),
    subject: '',
    issuer: ca.cert.subject,
    notBefore: new Date(signedAt.getTime() - 5 * 60_000),
    notAfter: new Date(signedAt.getTime() + 5 * 60_000),
    publicKey: subjectKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: EC_P256,
  };
  const extensions = [
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([OID.codeSigning], false),
    await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
    new x509.SubjectAlternativeNameExtension([{ type: 'url', value: identity.san }], true),
    new x509.Extension(OID.fulcioIssuerV2, false, new Utf8String({ value: identity.issuer }).toBER()),
  ];
  const precert = await x509.X509CertificateGenerator.create({ ...base, extensions });
  const tbs = Buffer.from(AsnConvert.serialize(AsnConvert.parse(precert.rawData, Certificate).tbsCertificate));
  const sctExtension = new x509.Extension(
    OID.sctList,
    false,
    new Asn1OctetString({ valueHex: new Uint8Array(scts(tbs)) }).toBER(),
  );
  const leaf = await x509.X509CertificateGenerator.create({ ...base, extensions: [...extensions, sctExtension] });
  return new Uint8Array(leaf.rawData);
}

/** RFC 6962 §3.2/§3.3: a one-SCT SignedCertificateTimestampList for a precertificate. */
function sctList(key: KeyObject, logId: Buffer, issuerSpki: Buffer, precertTbs: Buffer, at: Date): Buffer {
  const timestamp = Buffer.alloc(8);
  timestamp.writeBigUInt64BE(BigInt(at.getTime()));
  const signed = Buffer.concat([
    Buffer.from([0x00, 0x00]), // v1, certificate_timestamp
    timestamp,
    u16(1), // precert_entry
    sha256(issuerSpki),
    u24(precertTbs.length),
    precertTbs,
    u16(0), // no extensions
  ]);
  const signature = sign('sha256', signed, key);
  const sct = Buffer.concat([
    Buffer.from([0x00]),
    logId,
    timestamp,
    u16(0),
    Buffer.from([4, 3]), // sha256, ecdsa
    u16(signature.length),
    signature,
  ]);
  return Buffer.concat([u16(sct.length + 2), u16(sct.length), sct]);
}

interface TimestampAuthority {
  readonly ca: CaCert;
  readonly leaf: { readonly der: Uint8Array };
  /** RFC 3161 TimeStampResp (granted) whose token stamps the SHA-256 of `data` at `at`. */
  stamp(data: Uint8Array, at: Date): Buffer;
}

/** SET OF Attribute: the DER the CMS signature covers (RFC 5652 §5.4). */
class SignedAttributes extends AsnArray<Attribute> {}
// The schema decorator, applied as a call: the project compiles without legacy decorators.
AsnType({ type: AsnTypeTypes.Set, itemType: Attribute })(SignedAttributes);

async function timestampAuthority(name: string): Promise<TimestampAuthority> {
  const ca = await selfSignedCa(`O=${name}, CN=${name}-tsa-root`);
  const keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const publicKey = await webcrypto.subtle.importKey(
    'spki',
    keys.publicKey.export({ type: 'spki', format: 'der' }),
    { name: 'ECDSA', namedCurve: 'P-256' },
    true,
    ['verify'],
  );
  const leafCert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `O=${name}, CN=${name}-tsa`,
    issuer: ca.cert.subject,
    notBefore: INSTANCE_START,
    notAfter: new Date('2035-01-01T00:00:00Z'),
    publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: EC_P256,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([OID.timeStamping], true),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
    ],
  });
  const leaf = AsnConvert.parse(leafCert.rawData, Certificate);

  function stamp(data: Uint8Array, at: Date): Buffer {
    const tstInfo = new TSTInfo({
      version: 1,
      policy: OID.tsaPolicy,
      messageImprint: new MessageImprint({
        hashAlgorithm: new AlgorithmIdentifier({ algorithm: OID.sha256 }),
        hashedMessage: new OctetString(sha256(data)),
      }),
      serialNumber: new Uint8Array(randomBytes(8)).buffer,
      genTime: at,
    });
    const tstInfoDer = Buffer.from(AsnConvert.serialize(tstInfo));
    const attributes = new SignedAttributes([
      new Attribute({
        attrType: OID.contentType,
        attrValues: [new ObjectIdentifier({ value: id_ct_tstInfo }).toBER()],
      }),
      new Attribute({
        attrType: OID.messageDigest,
        attrValues: [AsnConvert.serialize(new OctetString(sha256(tstInfoDer)))],
      }),
    ]);
    const signature = sign('sha256', Buffer.from(AsnConvert.serialize(attributes)), keys.privateKey);
    const signedData = new SignedData({
      version: 3,
      digestAlgorithms: new DigestAlgorithmIdentifiers([new AlgorithmIdentifier({ algorithm: OID.sha256 })]),
      encapContentInfo: new EncapsulatedContentInfo({
        eContentType: id_ct_tstInfo,
        eContent: new EncapsulatedContent({ single: new OctetString(tstInfoDer) }),
      }),
      certificates: new CertificateSet([new CertificateChoices({ certificate: leaf })]),
      signerInfos: new SignerInfos([
        new SignerInfo({
          version: 1,
          sid: new SignerIdentifier({
            issuerAndSerialNumber: new IssuerAndSerialNumber({
              issuer: leaf.tbsCertificate.issuer,
              serialNumber: leaf.tbsCertificate.serialNumber,
            }),
          }),
          digestAlgorithm: new AlgorithmIdentifier({ algorithm: OID.sha256 }),
          signedAttrs: [...attributes],
          signatureAlgorithm: new AlgorithmIdentifier({ algorithm: OID.ecdsaWithSha256 }),
          signature: new OctetString(signature),
        }),
      ]),
    });
    const response = new TimeStampResp({
      status: new PKIStatusInfo({ status: PKIStatus.granted }),
      timeStampToken: new ContentInfo({ contentType: id_signedData, content: AsnConvert.serialize(signedData) }),
    });
    return Buffer.from(AsnConvert.serialize(response));
  }
  return { ca, leaf: { der: new Uint8Array(leafCert.rawData) }, stamp };
}

function serial(): string {
  // A positive serial: the top bit clear, so DER needs no leading zero byte.
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x3f) | 0x10;
  return bytes.toString('hex');
}

function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

function b64(data: Uint8Array): string {
  return Buffer.from(data).toString('base64');
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u24(n: number): Buffer {
  const b = Buffer.alloc(3);
  b.writeUIntBE(n, 0, 3);
  return b;
}
