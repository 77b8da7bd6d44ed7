/**
 * Fuzzing of every parser and verifier entry point (targets in test/support/fuzz-targets.ts): each
 * returns or throws a documented GateError, never anything else, and never hangs. A short seeded
 * run here; `npm run bench -- --fuzz` runs the same targets on at least 100,000 inputs. A failure
 * names the seed, the path and the shrunk counterexample to replay.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FuzzKit, fuzzTargets } from '../support/fuzz-targets.js';

/** Fixed, so a failure replays; the bench varies it. */
const SEED = 20261206;
const RUNS = 150;
/** The I/O-bound layout target builds a directory per run. */
const LAYOUT_RUNS = 30;

const kit: Promise<FuzzKit> = fuzzTargets();
let loaded: FuzzKit | undefined;

beforeAll(async () => {
  loaded = await kit;
}, 60_000);

afterAll(async () => {
  await loaded?.cleanup();
});

// The names are known before the kit is built, so each target gets its own test.
const NAMES = [
  'sbom: CycloneDX (parseSbom)',
  'sbom: SPDX (parseSbom)',
  'dsse: envelope (verifyEnvelope)',
  'in-toto: statement (parseInTotoStatementBytes)',
  'sigstore: bundle (verifyBundle)',
  'cosign: keyless tag layer (cosignTagBundle, verifyBundle)',
  'notation: JWS envelope (verifyNotationSignature)',
  'oci: image manifest (parseManifest, checkManifestSpec)',
  'oci: image index (parseIndex, checkIndexSpec)',
  'oci: layout on disk, special files included (OciLayoutRegistry)',
  'event: ECR push (start-release handler)',
  'event: scan complete (scan-complete handler)',
  'approval request (approval-api handler)',
  'approval answer over IAM (cli-approvals handler)',
  'approval answer over IAM, local SigV4 check (verifySigV4)',
  'approval link behind a JWT authorizer (linkAuthorizerEmail, approval-api handler)',
  'cosign: simple signing (verifyCosignSignature, checkSimpleSigningClaims)',
  'slsa: provenance predicate (extractCheckableProvenance, evaluateProvenance)',
  'vex: OpenVEX and CycloneDX VEX (parseOpenVex, parseCycloneDxVex)',
  'policy (loadPolicy)',
  'osv: record and match (parseOsvRecord, matchRecord, severityOf)',
];

describe('Fuzz: parser and verifier entry points', () => {
  it('covers every target the fuzz module defines', async () => {
    // Assess
    expect((await kit).targets.map((t) => t.name)).toEqual(NAMES);
  });

  describe.each(NAMES)('%s', (name) => {
    it('returns or throws a documented error, without hanging', async () => {
      // Prepare
      const target = (await kit).targets.find((t) => t.name === name);
      if (target === undefined) throw new Error(`no fuzz target ${name}`);
      const numRuns = target.weight === undefined ? RUNS : LAYOUT_RUNS;

      // Act & Assess
      await fc.assert(fc.asyncProperty(target.input, target.run), { numRuns, seed: SEED });
      // Not vacuous: some inputs got through to a value, and some were refused.
      const tally = (await kit).tallies.get(name);
      expect(tally?.accepted).toBeGreaterThan(0);
      expect(tally?.refused).toBeGreaterThan(0);
    }, 60_000);
  });
});
