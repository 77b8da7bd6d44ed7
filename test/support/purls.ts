/** fast-check arbitraries of package URLs: as packageurl-js writes them, and as people and tools do. */
import fc from 'fast-check';
import { PackageURL } from 'packageurl-js';

/**
 * Text of a purl part: mostly what SBOMs carry, and characters that exercise escaping, case rules
 * and the type rules (pypi `_`, pub `-`, …).
 */
const purlText = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom(...'abz019.-_'.split('')), minLength: 1, maxLength: 6 }) },
  {
    weight: 2,
    arbitrary: fc.string({
      unit: fc.constantFrom(..."aZz09._-~!*()'@?#/%:+ =&éÅ\u00a0\t".split(''), '%40', '%2F', '%3a', '%zz'),
      minLength: 0,
      maxLength: 8,
    }),
  },
);
const purlType = fc.constantFrom(
  'npm',
  'pypi',
  'deb',
  'apk',
  'rpm',
  'maven',
  'golang',
  'cargo',
  'pub',
  'oci',
  'conan',
  'swift',
  'cran',
  'mlflow',
  'huggingface',
  'generic',
  'NPM',
  'a+b',
);
const purlParts = fc.record({
  type: purlType,
  namespace: fc.option(
    fc.array(purlText, { minLength: 1, maxLength: 3 }).map((s) => s.join('/')),
    { nil: undefined },
  ),
  name: purlText,
  version: fc.option(fc.oneof(purlText, fc.constantFrom('v1.2.3', 'v1.2', '1:2.3-4+b1', '3.0.11-1~deb12u2')), {
    nil: undefined,
  }),
  qualifiers: fc.option(
    fc.dictionary(fc.oneof(purlText, fc.constantFrom('arch', 'distro', 'epoch', 'upstream', 'channel')), purlText, {
      maxKeys: 3,
    }),
    { nil: undefined },
  ),
  subpath: fc.option(purlText, { nil: undefined }),
});

/** A purl packageurl-js writes for arbitrary parts, or undefined when it refuses them. */
function written(p: typeof purlParts extends fc.Arbitrary<infer T> ? T : never): string | undefined {
  try {
    return new PackageURL(p.type, p.namespace, p.name, p.version, p.qualifiers, p.subpath).toString();
  } catch {
    return undefined;
  }
}

/** A purl as a person or another tool might write it: parts joined with or without escaping. */
export const handWritten = fc
  .tuple(
    fc.constantFrom('pkg:', 'PKG:', 'pkg://'),
    purlType,
    purlParts,
    fc.array(fc.constantFrom('encode', 'raw', 'upper', 'lowerhex'), { minLength: 4, maxLength: 4 }),
  )
  .map(([scheme, type, p, how]) => {
    const style = (text: string, i: number) => {
      const mode = how[i] ?? 'raw';
      if (mode === 'encode') return encodeURIComponent(text);
      if (mode === 'upper') return text.toUpperCase();
      if (mode === 'lowerhex') return encodeURIComponent(text).toLowerCase();
      return text;
    };
    const namespace = p.namespace === undefined ? '' : `${style(p.namespace, 0)}/`;
    const version = p.version === undefined ? '' : `@${style(p.version, 2)}`;
    const qualifiers =
      p.qualifiers === undefined
        ? ''
        : `?${Object.entries(p.qualifiers)
            .map(([k, v]) => `${k}=${style(v, 3)}`)
            .join('&')}`;
    return `${scheme}${type}/${namespace}${style(p.name, 1)}${version}${qualifiers}`;
  });

/** Any purl-like string: written by packageurl-js, by hand, or anything after `pkg:`. */
export const anyPurl = fc.oneof(
  purlParts.map((p) => written(p) ?? 'pkg:npm/x'),
  handWritten,
  fc.string({ maxLength: 40 }).map((s) => `pkg:${s}`),
);
