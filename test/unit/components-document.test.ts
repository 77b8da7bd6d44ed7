import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  componentsDocument,
  encodeComponentsDocument,
  parseComponentsDocument,
  visitComponentsDocument,
  WHOLE_ENCODE_COMPONENTS,
} from '../../lambdas/domain/evidence/sbom.js';
import type { Component, NormalizedSbom } from '../../lambdas/domain/sbom/component.js';
import { deb, npm } from '../support/components.js';

const LOCK = `sha256:${'1'.repeat(64)}`;
const COMPONENTS = [npm('express', '4.21.2', ['MIT']), deb('bash', '5.2.15-2'), npm('left-pad')];

/** The components `visitComponentsDocument` hands over, and the header it returns. */
function visited(bytes: Uint8Array): { header: unknown; components: Component[] } {
  const components: Component[] = [];
  const header = visitComponentsDocument(bytes, (c) => components.push(c));
  return { header, components };
}

const encode = (text: string) => new TextEncoder().encode(text);

describe('Function: visitComponentsDocument', () => {
  describe.each([
    [
      'lockfileDigest before components',
      { format: 'cyclonedx', specVersion: '1.6', lockfileDigest: LOCK, components: COMPONENTS },
    ],
    [
      'lockfileDigest after components',
      { format: 'spdx', specVersion: 'SPDX-2.3', components: COMPONENTS, lockfileDigest: LOCK },
    ],
    ['no lockfileDigest', { format: 'cyclonedx', specVersion: '1.5', components: COMPONENTS }],
    ['no components', { format: 'cyclonedx', specVersion: '1.5', components: [] }],
  ] satisfies [string, NormalizedSbom][])('when the document was written by the gate (%s)', (_order, sbom) => {
    it('hands over what parsing it whole gives, component by component, in order', () => {
      // Prepare
      const bytes = componentsDocument(sbom).bytes;
      const whole = parseComponentsDocument(new Uint8Array(bytes));
      if (whole === undefined) throw new Error('not a component document');
      const { components, ...header } = whole;

      // Act
      const result = visited(bytes);

      // Assess
      expect(result.components).toEqual(components);
      expect(result.header).toEqual(header);
    });
  });

  describe('when a later component is malformed', () => {
    it('has handed over the earlier ones before reading it, and says it is not a component document', () => {
      // Prepare
      const bytes = encode(
        '{"format":"cyclonedx","specVersion":"1.6","components":[{"name":"a","licenses":[],"scope":"other"},{"name":}]}',
      );

      // Act
      const result = visited(bytes);

      // Assess
      expect(result.components.map((c) => c.name)).toEqual(['a']);
      expect(result.header).toBeUndefined();
    });
  });

  describe.each([
    [
      'two components without a comma',
      '{"format":"cyclonedx","specVersion":"1.6","components":[{"name":"a"} {"name":"b"}]}',
    ],
    ['a component that is not an object', '{"format":"cyclonedx","specVersion":"1.6","components":[1]}'],
    ['text after the document', '{"format":"cyclonedx","specVersion":"1.6","components":[]} x'],
    ['an unknown format', '{"format":"swid","specVersion":"1.6","components":[]}'],
    ['components that are not an array', '{"format":"cyclonedx","specVersion":"1.6","components":{}}'],
    [
      'a second components member',
      '{"format":"cyclonedx","specVersion":"1.6","components":[],"components":[{"name":"a"}]}',
    ],
    ['not JSON', 'components'],
  ])('when the document has %s', (_what, text) => {
    it('says it is not a component document', () => {
      // Act
      const result = visited(encode(text));

      // Assess
      expect(result.header).toBeUndefined();
    });
  });
});

describe('Function: encodeComponentsDocument', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  describe.each([
    ['ASCII components', { format: 'cyclonedx', specVersion: '1.6', lockfileDigest: LOCK, components: COMPONENTS }],
    [
      'components after the lockfile digest, text outside ASCII, a lone surrogate and quotes',
      {
        format: 'spdx',
        specVersion: 'SPDX-2.3 "components":[]',
        components: [npm('zürich-ünïcode', '1.0.0', ['Apache-2.0 ✓']), deb('b\ud800"ash', '5.2'), npm('日本', '2.0.0')],
        lockfileDigest: LOCK,
      },
    ],
    ['no components', { format: 'cyclonedx', specVersion: '1.5', components: [] }],
  ] satisfies [string, NormalizedSbom][])('when the inventory has %s', (_what, sbom) => {
    it.each([
      ['a few', 1],
      [
        'more than WHOLE_ENCODE_COMPONENTS',
        Math.ceil((WHOLE_ENCODE_COMPONENTS + 1) / Math.max(1, sbom.components.length)),
      ],
    ])('writes exactly the UTF-8 bytes of JSON.stringify, of %s components', (_count, copies) => {
      // Prepare: the components repeated, for the writer of large inventories.
      const inventory = { ...sbom, components: Array.from({ length: copies }, () => sbom.components).flat() };

      // Act
      const bytes = encodeComponentsDocument(inventory);

      // Assess
      expect(Buffer.from(bytes).equals(Buffer.from(JSON.stringify(inventory), 'utf8'))).toBe(true);
    });
  });

  describe('when the inventory has more than WHOLE_ENCODE_COMPONENTS components', () => {
    it('never holds the whole text as one string', () => {
      // Prepare
      const sbom: NormalizedSbom = {
        format: 'cyclonedx',
        specVersion: '1.6',
        components: Array.from({ length: WHOLE_ENCODE_COMPONENTS + 1 }, (_, i) => npm(`pkg-${i}`, `${i}.0.0`)),
      };
      const stringify = vi.spyOn(JSON, 'stringify');

      // Act
      const { bytes } = componentsDocument(sbom);

      // Assess
      const longest = Math.max(0, ...stringify.mock.results.map((r) => String(r.value).length));
      expect(longest).toBeLessThan(bytes.byteLength / 10);
    });
  });

  describe('when the inventory has at most WHOLE_ENCODE_COMPONENTS components', () => {
    it('stringifies it once, not each component', () => {
      // Prepare
      const sbom: NormalizedSbom = {
        format: 'cyclonedx',
        specVersion: '1.6',
        components: Array.from({ length: 200 }, (_, i) => npm(`pkg-${i}`, `${i}.0.0`)),
      };
      const stringify = vi.spyOn(JSON, 'stringify');

      // Act
      encodeComponentsDocument(sbom);

      // Assess
      expect(stringify).toHaveBeenCalledTimes(1);
    });
  });
});
