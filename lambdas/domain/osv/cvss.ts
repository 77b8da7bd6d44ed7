/**
 * CVSS base scores of OSV `severity` vectors (osv-schema "severity": CVSS_V2, CVSS_V3, CVSS_V4).
 *
 * Scoring is done by `ae-cvss-calculator` ({metæffekt}, Apache-2.0), which implements FIRST's
 * equations for CVSS 2.0, 3.0, 3.1 and 4.0 (https://www.first.org/cvss/). That library is lenient
 * (a missing metric counts as "not defined", a repeated one overrides the first), so a vector is
 * checked here first: the version prefix must match the OSV type, every metric may appear once,
 * and every base metric must be set. A vector that fails is unscored; it never scores 0.
 *
 * Kept although it is 188 kB of a bundle (one webpack bundle, not tree-shakeable): of the smaller
 * npm scorers, each checked against every base vector (729 v2, 2,592 per v3.x, 104,976 v4.0),
 * none scores all of CVSS 4.0 as FIRST's calculator does. `cvss4` and `@turingpointde/cvss.js`
 * round without the calculator's 1e-6 lift (522 and 1,674 v4.0 vectors one tenth off), and
 * `@pandatix/js-cvss` is off on 450 (and 3 of v3.x); `vuln-vects` and `cvss2js` have no v4.0.
 */
import aeCvss from 'ae-cvss-calculator';

export type CvssVersion = '2.0' | '3.0' | '3.1' | '4.0';

export interface CvssScore {
  readonly version: CvssVersion;
  /** The base score (CVSS-B for v4): threat, temporal and environmental metrics are not applied. */
  readonly score: number;
}

/** Version prefixes (`CVSS:3.1/…`); a v2 vector has none. */
const PREFIXES: Readonly<Record<string, CvssVersion>> = {
  'CVSS:3.0': '3.0',
  'CVSS:3.1': '3.1',
  'CVSS:4.0': '4.0',
};

/** The OSV severity type each version belongs to (osv-schema "severity[].type"). */
const OSV_TYPE: Readonly<Record<CvssVersion, string>> = {
  '2.0': 'CVSS_V2',
  '3.0': 'CVSS_V3',
  '3.1': 'CVSS_V3',
  '4.0': 'CVSS_V4',
};

function versionOf(vector: string): CvssVersion {
  const first = vector.split('/')[0] ?? '';
  if (!first.startsWith('CVSS:')) return '2.0';
  const version = PREFIXES[first];
  if (version === undefined) throw new Error(`unknown CVSS version ${JSON.stringify(first)}`);
  return version;
}

function assertMetricsOnce(vector: string): void {
  const seen = new Set<string>();
  for (const part of vector.split('/')) {
    if (part.startsWith('CVSS:')) continue;
    const [metric, value, extra] = part.split(':');
    if (metric === undefined || metric === '' || value === undefined || value === '' || extra !== undefined) {
      throw new Error(`invalid CVSS vector component ${JSON.stringify(part)}`);
    }
    if (seen.has(metric)) throw new Error(`duplicate CVSS metric ${metric}`);
    seen.add(metric);
  }
}

/**
 * The base score of a CVSS 2.0, 3.0, 3.1 or 4.0 vector. `osvType`, when given, must be the OSV
 * severity type of the vector's version. Throws on a malformed or incomplete vector.
 */
export function cvssBaseScore(vector: string, osvType?: string): CvssScore {
  const text = vector.trim();
  const version = versionOf(text);
  if (osvType !== undefined && OSV_TYPE[version] !== osvType) {
    throw new Error(`a CVSS ${version} vector is not of severity type ${osvType}`);
  }
  assertMetricsOnce(text);
  let parsed: ReturnType<typeof aeCvss.fromVector>;
  try {
    parsed = aeCvss.fromVector(text);
  } catch (err) {
    throw new Error(`invalid CVSS vector ${JSON.stringify(text)}`, { cause: err });
  }
  if (parsed === null || parsed === undefined || !parsed.isBaseFullyDefined()) {
    throw new Error(`invalid or incomplete CVSS vector ${JSON.stringify(text)}`);
  }
  const scores = parsed.calculateScores();
  const score = version === '4.0' ? scores.baseMetricsOnly : scores.base;
  if (typeof score !== 'number' || !Number.isFinite(score)) {
    throw new Error(`CVSS vector ${JSON.stringify(text)} has no base score`);
  }
  return { version, score };
}

export type CvssRating = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW';

/**
 * The qualitative rating of a score: CVSS v3.x §5 and v4.0 §6 (Critical 9.0+, High 7.0+,
 * Medium 4.0+); v2 has no Critical band (NVD: High 7.0–10.0). "None" (0.0) is reported as LOW: a
 * finding is never dropped because of its score.
 */
export function cvssRating(score: number, version: CvssVersion = '3.1'): CvssRating {
  if (score >= 9 && version !== '2.0') return 'CRITICAL';
  if (score >= 7) return 'HIGH';
  if (score >= 4) return 'MEDIUM';
  return 'LOW';
}

const VERSION_RANK: Readonly<Record<CvssVersion, number>> = { '2.0': 0, '3.0': 1, '3.1': 2, '4.0': 3 };

/**
 * The rating of a set of OSV severity vectors: the newest CVSS version that scores decides (a v4
 * vector over a v3 one, as NVD and osv-scanner prefer), and within it the highest rating.
 * Undefined when no vector scores.
 */
export function ratingOfVectors(severities: readonly { type: string; score: string }[]): CvssRating | undefined {
  const scored: CvssScore[] = [];
  for (const s of severities) {
    if (!s.type.startsWith('CVSS_')) continue;
    try {
      scored.push(cvssBaseScore(s.score, s.type));
    } catch {
      // Unscored: the record falls back to its other severities, or to UNDEFINED.
    }
  }
  if (scored.length === 0) return undefined;
  const newest = Math.max(...scored.map((s) => VERSION_RANK[s.version]));
  const best = Math.max(...scored.filter((s) => VERSION_RANK[s.version] === newest).map((s) => s.score));
  const version = scored.find((s) => VERSION_RANK[s.version] === newest)?.version ?? '3.1';
  return cvssRating(best, version);
}
