/**
 * `release-gate verify-vsa <image-ref>`: the one check a deploy-time admission needs. It finds the
 * VSA referrers of the image's digest and accepts the first whose DSSE signature verifies (PAE)
 * with the gate's public key, whose statement names the digest, whose predicate type is VSA v1 and
 * whose result is PASSED (lambdas/domain/vsa/vsa.ts). Any other VSA-typed referrer is listed as
 * refused: anyone who can attach a referrer can attach a forged one.
 */
import { createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, describeError } from '../../lambdas/domain/errors.js';
import { findVerifiedVsa } from '../../lambdas/domain/vsa/vsa.js';
import { VERIFY_VSA_HELP, VERIFY_VSA_USAGE } from '../help-text.js';
import { VSA_KEY_FILE } from '../local/gate.js';
import { printable } from '../printable.js';
import { parseImageRef } from '../refs.js';
import { RELEASE_COMMAND_OPTIONS, releaseCommandArgs } from './release-lookup.js';
import type { CommandIo } from './verify-bundle.js';

export { VERIFY_VSA_HELP, VERIFY_VSA_USAGE };

/** Reads the verification key: a public key PEM, or the local private key file (its public half). */
async function readKey(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read the VSA key ${path}: ${describeError(err)}`, { cause: err });
  }
  try {
    return createPublicKey(text).export({ type: 'spki', format: 'pem' }).toString();
  } catch (err) {
    throw new ConfigError(`${path} is not a PEM key`, { cause: err });
  }
}

export async function runVerifyVsa(args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...RELEASE_COMMAND_OPTIONS, key: { type: 'string' }, insecure: { type: 'boolean', default: false } },
  });
  const { argument: refText, workDir } = releaseCommandArgs('verify-vsa', positionals, values);
  const publicKey = await readKey(values.key ?? join(workDir, VSA_KEY_FILE));
  const ref = parseImageRef(refText, {
    insecure: values.insecure,
    ...(values.repository === undefined ? {} : { repository: values.repository }),
  });
  const manifest = await ref.registry.getManifest(ref.repository, ref.reference);
  const found = await findVerifiedVsa(ref.registry, ref.repository, manifest.digest, [{ id: 'vsa-key', publicKey }]);
  for (const why of found.refused) io.stderr.write(`refused: ${printable(why)}\n`);
  if (found.verified === undefined) {
    io.stderr.write(`no VSA of ${ref.repository}@${manifest.digest} verifies with the key\n`);
    if (values.json) {
      io.stdout.write(
        `${JSON.stringify({ verified: false, digest: manifest.digest, refused: found.refused }, null, 2)}\n`,
      );
    }
    return 1;
  }
  const p = found.verified.predicate;
  if (values.json) {
    io.stdout.write(
      `${JSON.stringify({ verified: true, digest: manifest.digest, referrer: found.verified.referrer, predicate: p }, null, 2)}\n`,
    );
    return 0;
  }
  const lines = [
    `VSA verified: ${ref.repository}@${manifest.digest}`,
    `  referrer        ${found.verified.referrer}`,
    `  verifier        ${p.verifier.id}`,
    `  time verified   ${p.timeVerified}`,
    `  result          ${p.verificationResult}`,
    `  levels          ${p.verifiedLevels.join(', ')}`,
    `  policy          ${Object.entries(p.policy.digest)
      .map(([a, h]) => `${a}:${h}`)
      .join(', ')}`,
    `  inputs          ${p.inputAttestations.length} attestation(s)`,
    ...(p.releaseGate === undefined
      ? []
      : [
          `  stage           ${p.releaseGate.stage ?? '-'}`,
          `  evidence set    ${p.releaseGate.evidenceSetDigest ?? '-'}`,
          `  approvers       ${p.releaseGate.approvers.map((a) => a.person).join(', ') || '(none)'}`,
        ]),
  ];
  io.stdout.write(`${lines.map(printable).join('\n')}\n`);
  return 0;
}
