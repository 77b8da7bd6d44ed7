import { beforeEach, describe, expect, it, vi } from 'vitest';
import { pushManifest } from '../../cli/fixtures/push.js';
import { sigstoreBundleReferrer, sigstoreImageBundle } from '../../cli/fixtures/sigstore.js';
import type { PredicateInPieces } from '../../lambdas/domain/attest/in-toto.js';
import type { InTotoStatement } from '../../lambdas/domain/attest/types.js';
import { DEFAULT_MAX_DEPTH } from '../../lambdas/domain/document.js';
import { collectSbom, parseComponentsDocument } from '../../lambdas/domain/evidence/sbom.js';
import { gatherSignedStatements } from '../../lambdas/domain/evidence/signed-statements.js';
import { type Descriptor, MediaTypes } from '../../lambdas/domain/oci.js';
import { PredicateTypes } from '../../lambdas/domain/predicate-types.js';
import {
  normalizeCycloneDxInPieces,
  normalizeSbomObjectWithNotes,
  type ParsedSbom,
} from '../../lambdas/domain/sbom/parse.js';
import { pushArtifact, pushImage } from '../support/images.js';
import { collectContext } from '../support/memory-evidence.js';
import { MemoryRegistry } from '../support/memory-registry.js';
import { dsseEnvelope, statementAbout, testSigner } from '../support/signers.js';

// The SBOM predicate of a signed in-toto statement is read a batch of components at a time, as a
// raw SBOM is (sbom/parse.ts): the statement's whole tree never exists. Whatever the payload, the
// attestations found and every refusal are those of the whole-statement path.

const REPO = 'team/app';
const signer = testSigner('ci');
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

// Enough components that one 64 KiB batch is a small part of them.
const COMPONENTS = Array.from({ length: 2000 }, (_, i) => ({
  type: 'library',
  name: `p${i}`,
  version: `1.0.${i}`,
  purl: `pkg:npm/p${i}@1.0.${i}`,
  licenses: [{ license: { id: 'MIT' } }],
  ...(i % 10 === 0 && { components: [{ type: 'library', name: `n${i}`, purl: `pkg:npm/n${i}@2.0.0` }] }),
}));
const CYCLONEDX = { bomFormat: 'CycloneDX', specVersion: '1.6', components: COMPONENTS };

/** What the SBOM collector asks of the scan. */
const IN_PIECES: PredicateInPieces<ParsedSbom> = {
  member: 'components',
  read: (statement, batches) => normalizeCycloneDxInPieces(statement.predicate, batches),
};

/** Attaches `payload`, signed by `signer`, to `image` as an SBOM attestation. */
type Attach = (registry: MemoryRegistry, image: Descriptor, payload: Uint8Array) => Promise<void>;

const SOURCES: readonly (readonly [string, Attach])[] = [
  [
    'a DSSE envelope referrer with the predicateType annotation',
    async (registry, image, payload) => {
      await pushArtifact(registry, REPO, {
        subject: image,
        artifactType: MediaTypes.inTotoPayload,
        layers: [
          {
            mediaType: MediaTypes.dsseEnvelope,
            bytes: dsseEnvelope(signer, payload),
            annotations: { predicateType: PredicateTypes.cyclonedx },
          },
        ],
      });
    },
  ],
  [
    'a DSSE envelope referrer without it (the payload peeked at)',
    async (registry, image, payload) => {
      await pushArtifact(registry, REPO, {
        subject: image,
        artifactType: MediaTypes.inTotoPayload,
        layers: [{ mediaType: MediaTypes.dsseEnvelope, bytes: dsseEnvelope(signer, payload) }],
      });
    },
  ],
  [
    'a key-based Sigstore bundle (cosign v3 attest --key)',
    async (registry, image, payload) => {
      const bundle = sigstoreImageBundle(signer.privateKey, { name: REPO, digest: image.digest, statement: payload });
      await pushManifest(registry, REPO, sigstoreBundleReferrer(image, bundle, PredicateTypes.cyclonedx));
    },
  ],
];

describe.each(SOURCES)(
  'Function: gatherSignedStatements with the SBOM predicate read in pieces, from %s',
  (_source, attachTo) => {
    let registry: MemoryRegistry;
    let image: Descriptor;

    beforeEach(async () => {
      registry = new MemoryRegistry();
      image = await pushImage(registry, REPO, 'v1');
    });

    const attach = (payload: Uint8Array) => attachTo(registry, image, payload);
    const statementText = (predicate: unknown = CYCLONEDX) =>
      JSON.stringify(statementAbout({ name: REPO, digest: image.digest }, PredicateTypes.cyclonedx, predicate));

    /** The scan's attestations (each with the inventory its predicate normalises to) and refusals. */
    const scan = async (inPieces?: typeof IN_PIECES) => {
      const ctx = collectContext({
        subject: { repository: REPO, digest: image.digest },
        registry,
        policy: { attestations: { keys: [signer.trusted] } },
      });
      const found = await gatherSignedStatements(ctx, {
        predicateTypes: [PredicateTypes.cyclonedx],
        ...(inPieces === undefined ? {} : { inPieces }),
      });
      const inventory = (statement: InTotoStatement, read: ParsedSbom | undefined) => {
        try {
          return read ?? normalizeSbomObjectWithNotes(statement.predicate);
        } catch (err) {
          return err instanceof Error ? `${err.name}: ${err.message}` : err;
        }
      };
      return {
        rejected: found.rejected,
        bundles: found.bundles,
        verified: found.trusted.map((v) => ({
          source: v.source,
          signer: v.signer,
          predicateType: v.predicateType,
          subject: v.statement.subject,
          document: v.document,
          inventory: inventory(v.statement, v.read),
        })),
        read: found.trusted.map((v) => v.read !== undefined),
      };
    };

    describe('when the statement is valid', () => {
      it('reads the predicate in pieces, never parsing the statement whole, with the same attestation', async () => {
        // Prepare
        await attach(utf8(statementText()));
        const whole = await scan();
        const parse = vi.spyOn(JSON, 'parse');

        // Act
        const pieces = await scan(IN_PIECES);
        // The largest list any one JSON.parse built: a batch, never every component.
        const largest = Math.max(
          ...parse.mock.results.map(({ value }) =>
            Array.isArray(value) ? value.length : (value?.predicate?.components?.length ?? 0),
          ),
        );
        parse.mockRestore();

        // Assess
        expect(pieces.read).toEqual([true]);
        expect(largest).toBeGreaterThan(0);
        expect(largest).toBeLessThan(COMPONENTS.length / 2);
        expect({ ...pieces, read: [] }).toEqual({ ...whole, read: [] });
        expect(pieces.verified[0]?.inventory).toMatchObject({ sbom: { components: { length: 2200 } } });
      });
    });

    const doc = (inner: string, extra = '') =>
      `{"bomFormat":"CycloneDX","specVersion":"1.6"${extra},"components":[${inner}]}`;
    const ok = '{"type":"library","name":"a","purl":"pkg:npm/a@1.0.0"}';
    const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
    /** The statement text with its predicate's text replaced by `predicate`. */
    const withPredicate = (predicate: string) =>
      statementText({ placeholder: 0 }).replace('{"placeholder":0}', predicate);

    describe('whatever the statement', () => {
      it.each<[string, () => Uint8Array, boolean?]>([
        [
          'a repeated name in a component',
          () => utf8(withPredicate(doc(`${ok},{"type":"library","name":"b","name":"c"}`))),
        ],
        ['a repeated components member', () => utf8(withPredicate(`${doc(ok).slice(0, -1)},"components":[]}`))],
        ['a repeated predicate', () => utf8(`${withPredicate(doc(ok)).slice(0, -1)},"predicate":{}}`)],
        ['a repeated name in the statement', () => utf8(`${withPredicate(doc(ok)).slice(0, -1)},"_type":"x"}`)],
        ['an empty element', () => utf8(withPredicate(doc(`${ok},,${ok}`)))],
        ['a trailing comma', () => utf8(withPredicate(doc(`${ok},`)))],
        ['two values in one element', () => utf8(withPredicate(doc(`${ok} ${ok}`)))],
        ['an unterminated string', () => utf8(withPredicate(doc(`${ok},{"type":"library","name":"b\\"}`)))],
        ['an invalid component', () => utf8(withPredicate(doc(`${ok},{"type":"library","name":""}`)))],
        [
          'a component too deep for the statement',
          () => utf8(withPredicate(doc(`{"type":"library","name":"d","x":${deep(DEFAULT_MAX_DEPTH - 3)}}`))),
        ],
        [
          'a component as deep as the statement allows',
          () => utf8(withPredicate(doc(`{"type":"library","name":"d","x":${deep(DEFAULT_MAX_DEPTH - 4)}}`))),
          true,
        ],
        [
          'invalid UTF-8 in a component',
          () => {
            const text = utf8(withPredicate(doc(`${ok},{"type":"library","name":"b-XX"}`)));
            const at = text.indexOf(0x58); // the first "X"
            text.set([0xc0, 0xaf], at); // an overlong "/"
            return text;
          },
        ],
        ['a byte order mark before the statement', () => utf8(`\ufeff${withPredicate(doc(ok))}`)],
        ['a statement about another image', () => utf8(withPredicate(doc(ok)).replace(/[0-9a-f]{64}/, 'e'.repeat(64)))],
        [
          'an unknown statement type',
          () => utf8(withPredicate(doc(ok)).replace('https://in-toto.io/Statement/v1', 'x')),
        ],
        ['an SPDX predicate with components', () => utf8(withPredicate(doc(ok, ',"spdxVersion":"SPDX-2.3"')))],
        [
          'a predicate that is a statement',
          () => utf8(withPredicate(doc(ok, ',"_type":"https://in-toto.io/Statement/v1"'))),
        ],
        ['components that are not an array', () => utf8(withPredicate('{"bomFormat":"CycloneDX","components":{}}'))],
        ['no components', () => utf8(withPredicate('{"bomFormat":"CycloneDX","specVersion":"1.6"}'))],
        [
          'components before the other members',
          () => utf8(withPredicate(`{"components":[${ok}],"bomFormat":"CycloneDX","specVersion":"1.5"}`)),
          true,
        ],
        [
          'strings holding colons, commas, brackets, escaped quotes and multi-byte text',
          () => utf8(withPredicate(doc(`${ok},{"type":"library","name":"a:b,[c]{d}\\"e\\\\","version":"ü😀"}`))),
          true,
        ],
      ])('finds and refuses exactly what the whole-statement path does: %s', async (_case, payload, readInPieces) => {
        // Prepare
        await attach(payload());

        // Act
        const pieces = await scan(IN_PIECES);
        const whole = await scan();

        // Assess
        expect({ ...pieces, read: [] }).toEqual({ ...whole, read: [] });
        // Only what the whole path accepts and normalises is read in pieces; the rest is read whole.
        expect(pieces.read).toEqual(readInPieces ? [true] : whole.verified.map(() => false));
      });
    });
  },
);

describe('Function: collectSbom of a signed SBOM attestation', () => {
  it('never parses the statement whole, and stores the inventory the whole statement gives', async () => {
    // Prepare
    const registry = new MemoryRegistry();
    const image = await pushImage(registry, REPO, 'v1');
    const statement = statementAbout({ name: REPO, digest: image.digest }, PredicateTypes.cyclonedx, CYCLONEDX);
    await pushArtifact(registry, REPO, {
      subject: image,
      artifactType: MediaTypes.inTotoPayload,
      layers: [
        {
          mediaType: MediaTypes.dsseEnvelope,
          bytes: dsseEnvelope(signer, statement),
          annotations: { predicateType: PredicateTypes.cyclonedx },
        },
      ],
    });
    const ctx = collectContext({
      subject: { repository: REPO, digest: image.digest },
      registry,
      policy: { attestations: { keys: [signer.trusted] } },
    });
    const parse = vi.spyOn(JSON, 'parse');

    // Act
    const result = await collectSbom(ctx);
    const wholeStatement = parse.mock.results.some(({ value }) => (value?.predicate?.components?.length ?? 0) > 0);
    parse.mockRestore();

    // Assess
    expect(result.status).toBe('PASS');
    expect(wholeStatement).toBe(false);
    const stored = result.documents.find((d) => d.name === 'components.json');
    expect(parseComponentsDocument(stored?.bytes ?? new Uint8Array())).toEqual(
      normalizeSbomObjectWithNotes(CYCLONEDX).sbom,
    );
  });
});
