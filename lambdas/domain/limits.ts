/**
 * Size limits, checked before any document is parsed. An oversized document is evidence that
 * fails closed (status FAIL with a TOO_LARGE reason), never a crash or a silent truncation.
 * The README's "Limits" table mirrors these values.
 */
export const Limits = {
  /** A manifest or index (ECR PutImage allows 4 MiB). */
  manifestBytes: 4 * 1024 * 1024,
  /** An SBOM document. */
  sbomBytes: 64 * 1024 * 1024,
  /** A DSSE envelope / in-toto attestation / signature payload. */
  attestationBytes: 16 * 1024 * 1024,
  /** A cosign simple-signing payload. */
  signaturePayloadBytes: 1024 * 1024,
  /** An EventBridge event or a CLI/HTTP request body. */
  eventBytes: 256 * 1024,
  /** Referrers looked at per subject; more is treated as an attack and fails closed. */
  referrers: 500,
  /**
   * SBOM referrers read per image. Every one is read (an unsigned one may disagree with the signed
   * SBOM), so more than any build attaches fails the evidence instead of being downloaded.
   */
  sbomReferrers: 8,
  /**
   * Platform manifests of one index gated one by one (sbom, scan). Real multi-arch images list a
   * handful; more fails the evidence instead of collecting for each (and bounds the index entries
   * start-release links to their index).
   */
  gatedPlatforms: 32,
  /** Components in one SBOM. */
  sbomComponents: 200_000,
  /**
   * A purl without its version, as the package index keys it (DynamoDB allows 2,048 bytes of
   * partition key). A component above it fails the SBOM evidence: it could not be found by triage.
   */
  indexedPurlBytes: 1024,
  /** A component version, as the package index keys it (with the release, within DynamoDB's 1,024-byte sort key). */
  indexedVersionBytes: 512,
  /** Components named by one package index entry (a source package with more binaries lists the first, sorted). */
  indexedComponentsPerEntry: 64,
  /** A component purl kept whole in a package index entry; a longer one keeps only `<identity>@<version>`. */
  indexedComponentBytes: 2048,
  /** Package index entries one `findByPackage` reads before it refuses (fails closed, never truncates). */
  packageIndexEntriesPerQuery: 2_000_000,
  /** Index nodes one `listIndexNodes` reads before it refuses (a repository's gated SBOMs). */
  indexNodesPerQuery: 1_000_000,
  /**
   * The longest chain of index deltas: every this many releases of a repository, one is indexed
   * in full, so the index nodes that inherit an entry are among the next this many. Never lower
   * it (triage reads this far after a node); a writer may snapshot more often.
   */
  indexChainLength: 50,
  /** A policy document. */
  policyBytes: 1024 * 1024,
  /** An OSV advisory file. */
  advisoryBytes: 4 * 1024 * 1024,
  /**
   * OSV records under the bucket's `advisories/` prefix a rollback or release lists before it
   * refuses (100 ListObjectsV2 pages, a few seconds of the ops route's 29 s).
   */
  advisoryListing: 100_000,
  /**
   * Records one read of the prefix GETs before it refuses: every record for the daily run, the
   * candidates and the records the index does not cover for a rollback or release.
   */
  advisoryReads: 20_000,
  /** A scan report as the gate stores it (`scan-report.json`), read back from the document store. */
  scanReportBytes: 64 * 1024 * 1024,
} as const;
