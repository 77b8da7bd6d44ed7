/**
 * CVSS base scores of OSV `severity` vectors (osv-schema "severity": CVSS_V2, CVSS_V3, CVSS_V4).
 *
 * Scored by cvss-equations.ts, written from FIRST's specifications of CVSS 2.0, 3.0, 3.1 and 4.0
 * (https://www.first.org/cvss/) and held to `ae-cvss-calculator` on every base vector in the tests
 * (why it is hand-written is said there). A vector is checked first: the version prefix must
 * match the OSV type, every metric may appear once with one of its specified values, and every
 * base metric must be set. A vector that fails is unscored; it never scores 0.
 */
import { baseScoreOf, type CvssVersion } from './cvss-equations.js';

export type { CvssVersion } from './cvss-equations.js';

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
  const parts = text.split('/');
  const score = baseScoreOf(version, version === '2.0' ? parts : parts.slice(1));
  if (!Number.isFinite(score)) throw new Error(`CVSS vector ${JSON.stringify(text)} has no base score`);
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
