/**
 * CVSS base scores from FIRST's specifications: CVSS v2 Complete Documentation §3.2.1 (base
 * equation), CVSS v3.0 and v3.1 Specification §7.1 and Appendix A (Roundup), and CVSS v4.0
 * Specification §8 (MacroVectors: the six equivalence classes, the expert-scored lookup, the
 * interpolation by severity distance to the next lower MacroVector).
 *
 * Hand-written because the well-kept library, `ae-cvss-calculator`, is one 188 kB webpack file
 * that no bundler can tree-shake, which alone kept the ops functions over the 1 MB bundle target;
 * the smaller npm scorers are wrong on CVSS v4.0 (`cvss4` on 522 base vectors, `@turingpointde/cvss.js`
 * on 1,674, `@pandatix/js-cvss` on 450). `ae-cvss-calculator` stays as a devDependency:
 * test/unit/cvss-equations.test.ts holds this file to it on every base vector of every version
 * (729 v2, 2,592 per v3.x, 104,976 v4.0) and on generated vectors with every other metric.
 *
 * Only base scores are computed (CVSS-B for v4.0); threat, temporal, environmental and
 * supplemental metrics are checked against their specified values and otherwise ignored.
 */

export type CvssVersion = '2.0' | '3.0' | '3.1' | '4.0';

type MetricValues = Readonly<Record<string, readonly string[]>>;

const IMPACT3 = ['H', 'L', 'N'] as const;
const REQUIREMENT3 = ['X', 'H', 'M', 'L'] as const;
/** The security requirements and modified attack vector and complexity: the same in v3.x and v4.0. */
const REQUIREMENTS_AND_MODIFIED_ACCESS: MetricValues = {
  CR: REQUIREMENT3,
  IR: REQUIREMENT3,
  AR: REQUIREMENT3,
  MAV: ['X', 'N', 'A', 'L', 'P'],
  MAC: ['X', 'L', 'H'],
};

/** Every metric of a version and its values, base metrics first (all of them must be set, none `X`). */
interface VersionMetrics {
  readonly base: MetricValues;
  readonly other: MetricValues;
}

const V2: VersionMetrics = {
  base: {
    AV: ['L', 'A', 'N'],
    AC: ['H', 'M', 'L'],
    Au: ['M', 'S', 'N'],
    C: ['N', 'P', 'C'],
    I: ['N', 'P', 'C'],
    A: ['N', 'P', 'C'],
  },
  other: {
    E: ['U', 'POC', 'F', 'H', 'ND'],
    RL: ['OF', 'TF', 'W', 'U', 'ND'],
    RC: ['UC', 'UR', 'C', 'ND'],
    CDP: ['N', 'L', 'LM', 'MH', 'H', 'ND'],
    TD: ['N', 'L', 'M', 'H', 'ND'],
    CR: ['L', 'M', 'H', 'ND'],
    IR: ['L', 'M', 'H', 'ND'],
    AR: ['L', 'M', 'H', 'ND'],
  },
};

const V3: VersionMetrics = {
  base: {
    AV: ['N', 'A', 'L', 'P'],
    AC: ['L', 'H'],
    PR: ['N', 'L', 'H'],
    UI: ['N', 'R'],
    S: ['U', 'C'],
    C: IMPACT3,
    I: IMPACT3,
    A: IMPACT3,
  },
  other: {
    E: ['X', 'H', 'F', 'P', 'U'],
    RL: ['X', 'U', 'W', 'T', 'O'],
    RC: ['X', 'C', 'R', 'U'],
    ...REQUIREMENTS_AND_MODIFIED_ACCESS,
    MPR: ['X', 'N', 'L', 'H'],
    MUI: ['X', 'N', 'R'],
    MS: ['X', 'U', 'C'],
    MC: ['X', ...IMPACT3],
    MI: ['X', ...IMPACT3],
    MA: ['X', ...IMPACT3],
  },
};

const V4: VersionMetrics = {
  base: {
    AV: ['N', 'A', 'L', 'P'],
    AC: ['L', 'H'],
    AT: ['N', 'P'],
    PR: ['N', 'L', 'H'],
    UI: ['N', 'P', 'A'],
    VC: IMPACT3,
    VI: IMPACT3,
    VA: IMPACT3,
    SC: IMPACT3,
    SI: IMPACT3,
    SA: IMPACT3,
  },
  other: {
    E: ['X', 'A', 'P', 'U'],
    ...REQUIREMENTS_AND_MODIFIED_ACCESS,
    MAT: ['X', 'N', 'P'],
    MPR: ['X', 'N', 'L', 'H'],
    MUI: ['X', 'N', 'P', 'A'],
    MVC: ['X', ...IMPACT3],
    MVI: ['X', ...IMPACT3],
    MVA: ['X', ...IMPACT3],
    MSC: ['X', ...IMPACT3],
    // Safety (S) exists only as a modified subsequent-system integrity or availability impact.
    MSI: ['X', 'S', ...IMPACT3],
    MSA: ['X', 'S', ...IMPACT3],
    S: ['X', 'N', 'P'],
    AU: ['X', 'N', 'Y'],
    R: ['X', 'A', 'U', 'I'],
    V: ['X', 'D', 'C'],
    RE: ['X', 'L', 'M', 'H'],
    U: ['X', 'Clear', 'Green', 'Amber', 'Red'],
  },
};

const METRICS: Readonly<Record<CvssVersion, VersionMetrics>> = { '2.0': V2, '3.0': V3, '3.1': V3, '4.0': V4 };

/**
 * The base metrics of `parts` (`AV:N`, …, without the version prefix), each checked against its
 * version's metrics. Throws on an unknown metric or value, a repeated metric or a base metric
 * that is missing.
 */
function baseMetrics(version: CvssVersion, parts: readonly string[]): Readonly<Record<string, string>> {
  const { base, other } = METRICS[version];
  const values: Record<string, string> = {};
  for (const part of parts) {
    const [metric = '', value = '', extra] = part.split(':');
    const allowed = Object.hasOwn(base, metric)
      ? base[metric]
      : Object.hasOwn(other, metric)
        ? other[metric]
        : undefined;
    if (allowed === undefined) throw new Error(`unknown CVSS ${version} metric ${JSON.stringify(metric)}`);
    if (extra !== undefined || !allowed.includes(value)) {
      throw new Error(`invalid CVSS ${version} metric value ${JSON.stringify(part)}`);
    }
    if (Object.hasOwn(values, metric)) throw new Error(`duplicate CVSS metric ${metric}`);
    values[metric] = value;
  }
  const missing = Object.keys(base).filter((m) => !Object.hasOwn(values, m));
  if (missing.length > 0) throw new Error(`CVSS ${version} base metrics missing: ${missing.join(', ')}`);
  return values;
}

/**
 * The base score of the metrics of a vector (without its `CVSS:x.y/` prefix). Throws when a metric
 * or value is not of `version`, a metric is repeated, or a base metric is missing.
 */
export function baseScoreOf(version: CvssVersion, parts: readonly string[]): number {
  const m = baseMetrics(version, parts);
  const at = (metric: string): string => m[metric] ?? '';
  switch (version) {
    case '2.0':
      return v2Base(at);
    case '3.0':
    case '3.1':
      return v3Base(at, version);
    case '4.0':
      return v4Base(at);
  }
}

type Metric = (name: string) => string;

/** A weight from a specification table; a value outside it was refused by `baseMetrics`. */
function weight(table: Readonly<Record<string, number>>, value: string): number {
  const w = table[value];
  if (w === undefined) throw new Error(`no weight for ${JSON.stringify(value)}`);
  return w;
}

// CVSS v2 Complete Documentation §3.2.1, the base equation and its weights.
const V2_AV = { L: 0.395, A: 0.646, N: 1.0 };
const V2_AC = { H: 0.35, M: 0.61, L: 0.71 };
const V2_AU = { M: 0.45, S: 0.56, N: 0.704 };
const V2_IMPACT = { N: 0.0, P: 0.275, C: 0.66 };

function v2Base(m: Metric): number {
  const impact =
    10.41 * (1 - (1 - weight(V2_IMPACT, m('C'))) * (1 - weight(V2_IMPACT, m('I'))) * (1 - weight(V2_IMPACT, m('A'))));
  const exploitability = 20 * weight(V2_AV, m('AV')) * weight(V2_AC, m('AC')) * weight(V2_AU, m('Au'));
  const f = impact === 0 ? 0 : 1.176;
  // "round_to_1_decimal": half up.
  return Math.round((0.6 * impact + 0.4 * exploitability - 1.5) * f * 10) / 10;
}

// CVSS v3.1 Specification §7.4, the metric values (v3.0 has the same).
const V3_AV = { N: 0.85, A: 0.62, L: 0.55, P: 0.2 };
const V3_AC = { L: 0.77, H: 0.44 };
const V3_PR_UNCHANGED = { N: 0.85, L: 0.62, H: 0.27 };
const V3_PR_CHANGED = { N: 0.85, L: 0.68, H: 0.5 };
const V3_UI = { N: 0.85, R: 0.62 };
const V3_CIA = { H: 0.56, L: 0.22, N: 0 };

/**
 * Roundup: the smallest number with one decimal equal to or higher than its input. v3.1
 * (Appendix A) computes it on integers so that floating point cannot push 4.0 to 4.1; v3.0 used
 * the plain ceiling.
 */
function roundup(value: number, version: '3.0' | '3.1'): number {
  if (version === '3.0') return Math.ceil(value * 10) / 10;
  const integer = Math.round(value * 100000);
  return integer % 10000 === 0 ? integer / 100000 : (Math.floor(integer / 10000) + 1) / 10;
}

function v3Base(m: Metric, version: '3.0' | '3.1'): number {
  const changed = m('S') === 'C';
  const iss = 1 - (1 - weight(V3_CIA, m('C'))) * (1 - weight(V3_CIA, m('I'))) * (1 - weight(V3_CIA, m('A')));
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 : 6.42 * iss;
  const exploitability =
    8.22 *
    weight(V3_AV, m('AV')) *
    weight(V3_AC, m('AC')) *
    weight(changed ? V3_PR_CHANGED : V3_PR_UNCHANGED, m('PR')) *
    weight(V3_UI, m('UI'));
  if (impact <= 0) return 0;
  return roundup(Math.min((changed ? 1.08 : 1) * (impact + exploitability), 10), version);
}

/*
 * CVSS v4.0 §8. A vector falls into one MacroVector (EQ1…EQ6); FIRST's experts scored each one
 * (the lookup below). The score is the MacroVector's, lowered by the mean over the equivalence
 * classes of how far the vector lies below the MacroVector's highest vector, as a share of the
 * score distance to the next lower MacroVector of that class. CVSS-B: E is Attacked and CR, IR
 * and AR are High (their "Not Defined" values), and no modified metric applies.
 */

/**
 * The scores of the 270 MacroVectors (EQ1 EQ2 EQ3 EQ4 EQ5 EQ6), in the order of MACRO_KEYS: the
 * expert-scored lookup table of the CVSS v4.0 specification (§8), which is data, not an equation.
 * Read off `ae-cvss-calculator` (Apache-2.0) by scoring each MacroVector's highest vector, and held
 * to it by test/unit/cvss-equations.test.ts on every base vector.
 */
const MACRO_SCORES =
  '10 9.8 9.5 10 9.3 9.1 9.3 8.9 8.1 9.9 9.5 9.2 9.6 8.7 8.1 9 8 6.8 9.8 9.5 9 9.3 8.9 8.1 8.8 7.8 ' +
  '6.9 9.5 9.2 8.4 9.2 8.1 6.5 8 7 4.8 9.2 8.2 7.2 7.9 6.9 5 6.9 5.5 2.7 9.9 9.5 9.2 9.5 9 8.4 9.2 ' +
  '8.2 7.2 9.7 9.2 8.5 9.1 8.3 7.1 8.1 7.1 5.3 9.5 9.2 8.5 9.2 8 7 8.4 7.1 5 9.3 8.5 7.3 8.2 7.2 ' +
  '5.9 7 5.2 3 8.6 7.5 5.2 7.1 5.2 2.9 6.3 2.9 1.7 9.8 9.4 9.1 9.4 8.6 7.7 8.7 7.4 6.3 9.5 8.7 8.1 ' +
  '8.9 7.4 6.4 7.5 6.3 4.9 9.4 8.8 7.6 8.6 7.4 5.9 7.2 5.7 5.2 8.9 7.7 6.7 7.6 5.8 5 5.7 5.2 2.5 ' +
  '8.3 7 5.4 6.5 5.8 2.6 5.3 2.1 1.3 9.5 8.8 7.6 9 7.5 6.1 7.7 6.8 5.2 9 7.6 7 7.7 6.2 5.3 6.6 5.9 ' +
  '3 8.9 7.6 6.2 7.4 5.7 4.7 6.1 5.7 2.4 7.8 6.7 5.8 5.9 5.7 2.3 5.2 2.9 1.6 7.1 5.9 3 5.8 2.6 1.5 ' +
  '2.3 1.3 0.6 9.3 8.6 7.5 8.6 7.4 5.6 7 5.2 4 8.7 7.2 5.8 7.4 6.1 3.4 5.4 4 2.2 8.5 7.4 6.2 7.2 ' +
  '5.5 4.6 5.3 3.4 1.9 7.5 5.5 5.1 5.7 4.1 1.9 3.6 1.9 0.8 6.4 5.1 2 4.7 2.1 1.1 2.4 0.9 0.4 8.8 ' +
  '7.3 6 7.3 5.9 4.1 5.4 4.5 2 7.5 5.3 5 5.5 4 2 4.3 2.2 1.1 7.5 5.8 4 6.1 4.8 2 4.6 1.7 0.8 5.5 ' +
  '4.5 2.1 5.1 1.8 0.9 1.8 0.7 0.2 5.3 2.4 1.4 2.4 1.2 0.5 1 0.3 0.1';

/** The MacroVectors: EQ1 0–2, EQ2 0–1, (EQ3, EQ6) one of 00 01 10 11 21, EQ4 0–2, EQ5 0–2. */
const MACRO_KEYS: readonly string[] = [0, 1, 2].flatMap((eq1) =>
  [0, 1].flatMap((eq2) =>
    [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
      [2, 1],
    ].flatMap(([eq3, eq6]) =>
      [0, 1, 2].flatMap((eq4) => [0, 1, 2].map((eq5) => `${eq1}${eq2}${eq3}${eq4}${eq5}${eq6}`)),
    ),
  ),
);

const MACRO_SCORE: ReadonlyMap<string, number> = new Map(
  MACRO_SCORES.split(' ').map((score, i) => [MACRO_KEYS[i] ?? '', Number(score)]),
);

/** Each metric value's severity level (§8.2): 0 for the most severe, in steps of 0.1. */
const LEVEL: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  AV: { N: 0.0, A: 0.1, L: 0.2, P: 0.3 },
  PR: { N: 0.0, L: 0.1, H: 0.2 },
  UI: { N: 0.0, P: 0.1, A: 0.2 },
  AC: { L: 0.0, H: 0.1 },
  AT: { N: 0.0, P: 0.1 },
  VC: { H: 0.0, L: 0.1, N: 0.2 },
  VI: { H: 0.0, L: 0.1, N: 0.2 },
  VA: { H: 0.0, L: 0.1, N: 0.2 },
  SC: { H: 0.1, L: 0.2, N: 0.3 },
  SI: { S: 0.0, H: 0.1, L: 0.2, N: 0.3 },
  SA: { S: 0.0, H: 0.1, L: 0.2, N: 0.3 },
  CR: { H: 0.0, M: 0.1, L: 0.2 },
  IR: { H: 0.0, M: 0.1, L: 0.2 },
  AR: { H: 0.0, M: 0.1, L: 0.2 },
};

/** The highest-severity vectors of each equivalence class's levels (§8.2). */
const MAX_EQ1: readonly (readonly string[])[] = [
  ['AV:N/PR:N/UI:N'],
  ['AV:A/PR:N/UI:N', 'AV:N/PR:L/UI:N', 'AV:N/PR:N/UI:P'],
  ['AV:P/PR:N/UI:N', 'AV:A/PR:L/UI:P'],
];
const MAX_EQ2: readonly (readonly string[])[] = [['AC:L/AT:N'], ['AC:H/AT:N', 'AC:L/AT:P']];
/** By EQ3, then EQ6 (the two are scored jointly). */
const MAX_EQ3_EQ6: Readonly<Record<string, readonly string[]>> = {
  '00': ['VC:H/VI:H/VA:H/CR:H/IR:H/AR:H'],
  '01': ['VC:H/VI:H/VA:L/CR:M/IR:M/AR:H', 'VC:H/VI:H/VA:H/CR:M/IR:M/AR:M'],
  '10': ['VC:L/VI:H/VA:H/CR:H/IR:H/AR:H', 'VC:H/VI:L/VA:H/CR:H/IR:H/AR:H'],
  '11': [
    'VC:L/VI:H/VA:L/CR:H/IR:M/AR:H',
    'VC:L/VI:H/VA:H/CR:H/IR:M/AR:M',
    'VC:H/VI:L/VA:H/CR:M/IR:H/AR:M',
    'VC:H/VI:L/VA:L/CR:M/IR:H/AR:H',
    'VC:L/VI:L/VA:H/CR:H/IR:H/AR:M',
  ],
  '21': ['VC:L/VI:L/VA:L/CR:H/IR:H/AR:H'],
};
const MAX_EQ4: readonly (readonly string[])[] = [['SC:H/SI:S/SA:S'], ['SC:H/SI:H/SA:H'], ['SC:L/SI:L/SA:L']];

/** The depth of each class's levels, in severity steps (§8.2, "maximal severity"). */
const DEPTH_EQ1 = [1, 4, 5];
const DEPTH_EQ2 = [1, 2];
const DEPTH_EQ3_EQ6: Readonly<Record<string, number>> = { '00': 7, '01': 6, '10': 8, '11': 8, '21': 10 };
const DEPTH_EQ4 = [6, 5, 4];

function parseMetrics(text: string): Record<string, string> {
  return Object.fromEntries(text.split('/').map((p) => p.split(':') as [string, string]));
}

function level(metric: string, value: string): number {
  return LEVEL[metric]?.[value] ?? Number.NaN;
}

function v4Base(at: Metric): number {
  // CVSS-B: the threat and environmental metrics keep their "Not Defined" values.
  const m: Record<string, string> = {
    ...Object.fromEntries(Object.keys(V4.base).map((k) => [k, at(k)])),
    E: 'A',
    CR: 'H',
    IR: 'H',
    AR: 'H',
  };
  const v = (k: string): string => m[k] ?? '';
  if (['VC', 'VI', 'VA', 'SC', 'SI', 'SA'].every((k) => v(k) === 'N')) return 0;

  const eq1 =
    v('AV') === 'N' && v('PR') === 'N' && v('UI') === 'N'
      ? 0
      : (v('AV') === 'N' || v('PR') === 'N' || v('UI') === 'N') && v('AV') !== 'P'
        ? 1
        : 2;
  const eq2 = v('AC') === 'L' && v('AT') === 'N' ? 0 : 1;
  const eq3 = v('VC') === 'H' && v('VI') === 'H' ? 0 : v('VC') === 'H' || v('VI') === 'H' || v('VA') === 'H' ? 1 : 2;
  const eq4 = v('SI') === 'S' || v('SA') === 'S' ? 0 : v('SC') === 'H' || v('SI') === 'H' || v('SA') === 'H' ? 1 : 2;
  const eq5 = v('E') === 'A' ? 0 : v('E') === 'P' ? 1 : 2;
  const eq6 =
    (v('CR') === 'H' && v('VC') === 'H') || (v('IR') === 'H' && v('VI') === 'H') || (v('AR') === 'H' && v('VA') === 'H')
      ? 0
      : 1;
  const key = (e1: number, e2: number, e3: number, e4: number, e5: number, e6: number) =>
    MACRO_SCORE.get(`${e1}${e2}${e3}${e4}${e5}${e6}`) ?? Number.NaN;
  const value = key(eq1, eq2, eq3, eq4, eq5, eq6);

  // The next lower MacroVector of each class (NaN where there is none).
  const lowerEq1 = key(eq1 + 1, eq2, eq3, eq4, eq5, eq6);
  const lowerEq2 = key(eq1, eq2 + 1, eq3, eq4, eq5, eq6);
  // EQ3 and EQ6 move together: from 00 either one may step down, and the higher of the two counts.
  const lowerEq3Eq6 =
    eq3 === 0 && eq6 === 0
      ? Math.max(key(eq1, eq2, eq3, eq4, eq5, eq6 + 1), key(eq1, eq2, eq3 + 1, eq4, eq5, eq6))
      : eq3 === 1 && eq6 === 0
        ? key(eq1, eq2, eq3, eq4, eq5, eq6 + 1)
        : key(eq1, eq2, eq3 + 1, eq4, eq5, eq6);
  const lowerEq4 = key(eq1, eq2, eq3, eq4 + 1, eq5, eq6);
  const lowerEq5 = key(eq1, eq2, eq3, eq4, eq5 + 1, eq6);

  // The MacroVector's highest vector this one lies below in every metric.
  const eq36 = `${eq3}${eq6}`;
  let distance: Readonly<Record<string, number>> | undefined;
  search: for (const a of MAX_EQ1[eq1] ?? []) {
    for (const b of MAX_EQ2[eq2] ?? []) {
      for (const c of MAX_EQ3_EQ6[eq36] ?? []) {
        for (const d of MAX_EQ4[eq4] ?? []) {
          const max = parseMetrics(`${a}/${b}/${c}/${d}`);
          const candidate = Object.fromEntries(
            Object.keys(LEVEL).map((k) => [k, level(k, v(k)) - level(k, max[k] ?? '')]),
          );
          if (Object.values(candidate).every((x) => x >= 0)) {
            distance = candidate;
            break search;
          }
        }
      }
    }
  }
  if (distance === undefined) throw new Error('no highest vector of the MacroVector lies above this one');
  const d = (k: string): number => distance[k] ?? 0;

  const step = 0.1;
  const classes = [
    { lower: lowerEq1, distance: d('AV') + d('PR') + d('UI'), depth: (DEPTH_EQ1[eq1] ?? 0) * step },
    { lower: lowerEq2, distance: d('AC') + d('AT'), depth: (DEPTH_EQ2[eq2] ?? 0) * step },
    {
      lower: lowerEq3Eq6,
      distance: d('VC') + d('VI') + d('VA') + d('CR') + d('IR') + d('AR'),
      depth: (DEPTH_EQ3_EQ6[eq36] ?? 0) * step,
    },
    { lower: lowerEq4, distance: d('SC') + d('SI') + d('SA'), depth: (DEPTH_EQ4[eq4] ?? 0) * step },
    // EQ5 (exploit maturity) has one vector per level: never any distance within it.
    { lower: lowerEq5, distance: 0, depth: step },
  ];
  let sum = 0;
  let existing = 0;
  for (const c of classes) {
    if (Number.isNaN(c.lower)) continue;
    existing++;
    sum += (value - c.lower) * (c.distance / c.depth);
  }
  const score = Math.min(Math.max(value - (existing === 0 ? 0 : sum / existing), 0), 10);
  // Half up, after a 1e-6 lift, so that 8.55 computed as 8.549999… rounds as on paper.
  return Math.round((score + 1e-6) * 10) / 10;
}
