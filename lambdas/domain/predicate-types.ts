/** in-toto predicate and statement type URIs the gate understands. */
export const PredicateTypes = {
  slsaProvenanceV1: 'https://slsa.dev/provenance/v1',
  slsaProvenanceV02: 'https://slsa.dev/provenance/v0.2',
  cyclonedx: 'https://cyclonedx.org/bom',
  spdx: 'https://spdx.dev/Document',
  /** The gate's own evaluation-results predicate (see lambdas/domain/evidence/eval.ts). */
  evalResultsV1: 'https://release-gate.dev/eval-results/v1',
  /** SLSA Verification Summary, which Promote attaches. */
  vsaV1: 'https://slsa.dev/verification_summary/v1',
} as const;

export const StatementTypes = {
  v1: 'https://in-toto.io/Statement/v1',
  v01: 'https://in-toto.io/Statement/v0.1',
} as const;
