/**
 * The policy's text parsed (YAML 1.2, a superset of JSON) and validated, without the files it
 * references: what replaying a stored decision needs (`explain`, `report`). Apart from load.ts so
 * that a replay does not import the trusted-root loader and, with it, `@sigstore/*`.
 */
import { parse as parseYaml } from 'yaml';
import { PolicyInvalidError } from '../errors.js';
import { decodePolicyText, validatePolicyDocument } from './loaded.js';
import type { PolicyDocument } from './schema.js';

/** The policy's text parsed as YAML 1.2 (a superset of JSON), before the schema. */
export function parsePolicyValue(bytes: Uint8Array): unknown {
  const text = decodePolicyText(bytes);
  try {
    return parseYaml(text); // YAML 1.2 is a superset of JSON
  } catch (err) {
    throw new PolicyInvalidError('policy is neither valid JSON nor YAML', { cause: err });
  }
}

/**
 * The policy document alone, validated, without reading the files it references: what a replay of a
 * stored decision needs (`explain`), since the evaluation reads only the document.
 */
export function parsePolicyDocument(bytes: Uint8Array): PolicyDocument {
  return validatePolicyDocument(parsePolicyValue(bytes));
}
