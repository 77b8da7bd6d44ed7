/**
 * The README's code blocks are what a platform engineer pastes. Every shell block must parse
 * (`bash -n`) and continue its lines the way it looks (a `\` followed by a comment ends the command
 * there, silently dropping the rest); every YAML block must be a policy, or a rule fragment of one,
 * that the policy schema accepts; every JSON block must parse. Placeholders (`…`, `<hex>`) are
 * filled with values of the right shape first, so the test checks the structure a reader copies.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parsePolicyDocument } from '../../lambdas/domain/policy/load.js';
import { REPO_ROOT } from '../support/cli-process.js';

const run = promisify(execFile);
const README = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
const BASE_POLICY = parse(await readFile(join(REPO_ROOT, 'policy', 'release-gate.policy.yaml'), 'utf8')) as {
  rules: Record<string, unknown>[];
};

interface Block {
  readonly lang: string;
  readonly line: number;
  readonly text: string;
}

/** The fenced blocks of the README with their language and first line number. */
function blocks(lang: string): Block[] {
  const found: Block[] = [];
  const lines = README.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w+)$/.exec(lines[i] ?? '');
    if (open === null) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end] !== '```') end++;
    if (open[1] === lang) found.push({ lang, line: start + 1, text: lines.slice(start, end).join('\n') });
    i = end;
  }
  return found;
}

const PEM = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' });
const CERTIFICATE = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const DIGEST = `sha256:${'ab'.repeat(32)}`;

/** Fills the README's elisions with values of the shape their field needs. */
function fill(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => fill(v, key));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, k)]));
  }
  if (typeof value !== 'string' || !value.includes('…')) return value;
  if (value.includes('BEGIN PUBLIC KEY')) return PEM;
  if (value.includes('BEGIN CERTIFICATE')) return CERTIFICATE;
  if (key === 'sha256') return DIGEST;
  return value.replaceAll('…', 'x');
}

describe('README', () => {
  it('has shell, YAML and JSON blocks to check', () => {
    expect(blocks('sh').length).toBeGreaterThan(3);
    expect(blocks('yaml').length).toBeGreaterThan(0);
    expect(blocks('json').length).toBeGreaterThan(0);
  });

  describe.each(blocks('sh').map((b) => [b.line, b] as const))('the shell block at line %i', (_line, block) => {
    it('parses with bash -n', async () => {
      // Prepare: `<approval-id>`, `sha256:<hex>` are placeholders a reader replaces, not redirections.
      const script = block.text.replace(/<[A-Za-z][^<>\n]*>/g, 'PLACEHOLDER');

      // Act & Assess: bash -n exits non-zero (and execFile rejects) on a syntax error.
      await expect(run('bash', ['-n', '-c', script])).resolves.toBeDefined();
    });

    it('has no comment after a line continuation', () => {
      // A `\` followed by spaces and a comment escapes a space, and the next line is a new command.
      const broken = block.text.split('\n').filter((l) => /\\[ \t]+(#.*)?$/.test(l));
      expect(broken).toEqual([]);
    });
  });

  describe.each(blocks('yaml').map((b) => [b.line, b] as const))('the YAML block at line %i', (_line, block) => {
    it('is a policy, or a rule fragment, the policy schema accepts', () => {
      // Prepare
      const value = fill(parse(block.text)) as Record<string, unknown>;
      const document =
        'apiVersion' in value ? value : { ...BASE_POLICY, rules: [{ ...BASE_POLICY.rules[0], ...value }] };

      // Act & Assess: parsePolicyDocument throws PolicyInvalidError naming the field.
      expect(() => parsePolicyDocument(new TextEncoder().encode(stringify(document)))).not.toThrow();
    });
  });

  describe.each(blocks('json').map((b) => [b.line, b] as const))('the JSON block at line %i', (_line, block) => {
    it('parses', () => {
      expect(() => JSON.parse(block.text)).not.toThrow();
    });
  });
});
