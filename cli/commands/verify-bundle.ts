/**
 * `release-gate verify-bundle`: verifies one Sigstore bundle offline, like `cosign verify-blob
 * --bundle` / `sigstore verify identity`, with the gate's own verifier
 * (lambdas/domain/sigstore/verify-bundle.ts).
 *
 * Exit codes follow the rest of the CLI: 0 verified, 1 refused (the reason is on stderr),
 * 2 usage or I/O error.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { describeError, GateError } from '../../lambdas/domain/errors.js';
import { TrustedKeySchema } from '../../lambdas/domain/policy/trust-schema.js';
import {
  parseTrustedRoot,
  type TrustedRootDoc,
  VENDORED_TRUSTED_ROOTS,
} from '../../lambdas/domain/sigstore/trusted-root.js';
import {
  type BundleArtifact,
  SigstoreVerificationError,
  type VerifyBundleOptions,
  verifyBundle,
} from '../../lambdas/domain/sigstore/verify-bundle.js';
import { VERIFY_BUNDLE_USAGE } from '../help-text.js';

export { VERIFY_BUNDLE_USAGE };

/** Where output goes; `process.stdout`/`process.stderr` fit. */
export interface CommandIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

class UsageError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const DIGEST_ARGUMENT = /^sha256:[a-fA-F0-9]{64}$/;

/** Runs `verify-bundle` with `argv` (the arguments after the command name). Returns the exit code. */
export async function runVerifyBundle(argv: string[], io: CommandIo): Promise<number> {
  let request: Request;
  try {
    request = parseRequest(argv);
  } catch (err) {
    if (
      err instanceof UsageError ||
      (err instanceof Error && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      io.stderr.write(`verify-bundle: ${err.message}\n\n${VERIFY_BUNDLE_USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (request.help) {
    io.stdout.write(`${VERIFY_BUNDLE_USAGE}\n`);
    return 0;
  }

  let inputs: Inputs;
  try {
    inputs = await loadInputs(request);
  } catch (err) {
    io.stderr.write(`verify-bundle: ${describeError(err)}\n`);
    return 2;
  }

  try {
    const verified = verifyBundle(inputs.bundle, inputs.artifact, inputs.options);
    if (request.json) {
      const { bundle } = request;
      const { artifactLabel: artifact, rootLabel: trustedRoot } = inputs;
      io.stdout.write(`${JSON.stringify({ verified: true, bundle, artifact, trustedRoot, ...verified }, null, 2)}\n`);
      return 0;
    }
    const lines = [
      `Verified ${request.bundle} (${verified.mediaType}, ${verified.content})`,
      `  artifact: ${inputs.artifactLabel}`,
      `  signer: ${verified.signer}${verified.issuer !== undefined ? ` (issuer ${verified.issuer})` : ''}`,
      ...(verified.signedAt !== undefined ? [`  signed at: ${verified.signedAt}`] : []),
      `  transparency log entries: ${verified.tlogEntries}`,
      `  trusted root: ${inputs.rootLabel}`,
      ...(verified.statement !== undefined
        ? [
            `  statement: ${verified.statement.type}, predicate ${verified.statement.predicateType}`,
            ...verified.statement.subject.map(
              (s) =>
                `  subject: ${s.name ?? '(unnamed)'} ${Object.entries(s.digest)
                  .map(([alg, hex]) => `${alg}:${hex}`)
                  .join(' ')}`,
            ),
          ]
        : []),
    ];
    io.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } catch (err) {
    if (request.json && (err instanceof SigstoreVerificationError || err instanceof GateError)) {
      const code = err instanceof SigstoreVerificationError ? err.detail : err.code;
      io.stdout.write(`${JSON.stringify({ verified: false, code, reason: describeError(err) }, null, 2)}\n`);
    }
    if (err instanceof SigstoreVerificationError) {
      io.stderr.write(`verify-bundle: FAILED (${err.detail}): ${err.message}\n`);
      return 1;
    }
    if (err instanceof GateError) {
      io.stderr.write(`verify-bundle: FAILED (${err.code}): ${describeError(err)}\n`);
      return 1;
    }
    throw err;
  }
}

interface Request {
  readonly help: boolean;
  readonly json: boolean;
  readonly bundle: string;
  readonly identity?: { readonly subject: string; readonly issuer: string };
  readonly keyFile?: string;
  readonly trustedRootFile?: string;
  readonly staging: boolean;
  readonly artifact: string;
}

function parseRequest(argv: string[]): Request {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      bundle: { type: 'string' },
      'certificate-identity': { type: 'string' },
      'certificate-oidc-issuer': { type: 'string' },
      key: { type: 'string' },
      'trusted-root': { type: 'string' },
      staging: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return { help: true, json: false, bundle: '', staging: false, artifact: '' };
  if (values.bundle === undefined) throw new UsageError('--bundle FILE is required');
  const [artifact, ...extra] = positionals;
  if (artifact === undefined || extra.length > 0) {
    throw new UsageError('give exactly one artifact: FILE or sha256:HEX');
  }
  const subject = values['certificate-identity'];
  const issuer = values['certificate-oidc-issuer'];
  const keyless = subject !== undefined || issuer !== undefined;
  if (keyless && values.key !== undefined) {
    throw new UsageError('use either --key or --certificate-identity/--certificate-oidc-issuer, not both');
  }
  if (keyless && (subject === undefined || issuer === undefined)) {
    throw new UsageError('--certificate-identity and --certificate-oidc-issuer go together');
  }
  if (!keyless && values.key === undefined) {
    throw new UsageError('give --key FILE, or --certificate-identity ID with --certificate-oidc-issuer URL');
  }
  if (values.staging && values['trusted-root'] !== undefined) {
    throw new UsageError('use either --staging or --trusted-root FILE, not both');
  }
  return {
    help: false,
    json: values.json,
    bundle: values.bundle,
    ...(subject !== undefined && issuer !== undefined ? { identity: { subject, issuer } } : {}),
    ...(values.key !== undefined ? { keyFile: values.key } : {}),
    ...(values['trusted-root'] !== undefined ? { trustedRootFile: values['trusted-root'] } : {}),
    staging: values.staging,
    artifact,
  };
}

interface Inputs {
  readonly bundle: Uint8Array;
  readonly artifact: BundleArtifact;
  readonly artifactLabel: string;
  readonly options: VerifyBundleOptions;
  readonly rootLabel: string;
}

async function loadInputs(request: Request): Promise<Inputs> {
  const bundle = await readInput(request.bundle, 'bundle');
  const { root, label: rootLabel } = await loadRoot(request);
  let artifact: BundleArtifact;
  let artifactLabel: string;
  if (DIGEST_ARGUMENT.test(request.artifact)) {
    artifact = { digest: request.artifact.toLowerCase() };
    artifactLabel = request.artifact.toLowerCase();
  } else {
    artifact = { bytes: await readInput(request.artifact, 'artifact') };
    artifactLabel = request.artifact;
  }
  let options: VerifyBundleOptions = { trustedRoot: root };
  if (request.keyFile !== undefined) {
    const pem = Buffer.from(await readInput(request.keyFile, 'key')).toString('utf8');
    const key = TrustedKeySchema.safeParse({ id: basename(request.keyFile), publicKey: pem });
    if (!key.success) {
      throw new UsageError(`${request.keyFile} is not a PEM public key (-----BEGIN PUBLIC KEY-----)`);
    }
    options = { ...options, keys: [key.data] };
  }
  if (request.identity !== undefined) {
    options = { ...options, identities: [request.identity] };
  }
  return { bundle, artifact, artifactLabel, options, rootLabel };
}

async function loadRoot(request: Request): Promise<{ root: TrustedRootDoc; label: string }> {
  if (request.trustedRootFile !== undefined) {
    const root = parseTrustedRoot(await readInput(request.trustedRootFile, 'trusted root'));
    return { root, label: `${request.trustedRootFile} (${root.sha256})` };
  }
  const which = request.staging ? 'staging' : 'production';
  const pin = VENDORED_TRUSTED_ROOTS[which];
  const url = new URL(`../../lambdas/domain/sigstore/roots/${pin.file}`, import.meta.url);
  // The vendored file must still be the one pinned in code.
  const root = parseTrustedRoot(new Uint8Array(await readFile(url)), pin);
  return { root, label: `Sigstore ${which} (vendored, ${root.sha256})` };
}

async function readInput(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${path}: ${describeError(err)}`);
  }
}
