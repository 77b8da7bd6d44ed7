/**
 * The Slack approval messages (issue 8 §4): Block Kit built from plain facts, every pushed string
 * escaped for mrkdwn and capped to Block Kit's limits, buttons that parseSlackInteraction reads back.
 */
import { describe, expect, it } from 'vitest';
import { parseSlackInteraction } from '../../lambdas/domain/approval/slack.js';
import {
  type ApprovalRequestFacts,
  approvalOutcomeMessage,
  approvalRequestMessage,
  capText,
  mrkdwn,
  SLACK_LIMITS,
  type SlackBlock,
} from '../../lambdas/domain/approval/slack-message.js';
import type { ApprovalView } from '../../lambdas/domain/workflow/approval-view.js';
import { type AttackerStrings, allStrings, PLAIN_STRINGS, sampleView, VIEW_DIGEST } from '../support/approval-views.js';

const ESD = `sha256:${'ef'.repeat(32)}`;
const PAGE = 'https://gate.example/approvals/0123456789abcdef0123456789abcdef';

function facts(strings: AttackerStrings = PLAIN_STRINGS, over: Partial<ApprovalView> = {}): ApprovalRequestFacts {
  return { view: sampleView(strings, over), pageUrl: PAGE };
}

/** Every text a Slack client would render, from every text object of the blocks. */
function texts(blocks: readonly SlackBlock[]): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      const o = Object.fromEntries(Object.entries(v));
      if ((o.type === 'mrkdwn' || o.type === 'plain_text') && typeof o.text === 'string') out.push(o.text);
      Object.values(o).forEach(walk);
    }
  };
  walk(blocks);
  return out;
}

/** The mrkdwn text objects (where Slack parses `<…>` and `&…;`). */
function mrkdwnObjects(blocks: readonly SlackBlock[]): { text: string; verbatim?: unknown }[] {
  const out: { text: string; verbatim?: unknown }[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      const o = Object.fromEntries(Object.entries(v));
      if (o.type === 'mrkdwn' && typeof o.text === 'string') out.push({ text: o.text, verbatim: o.verbatim });
      Object.values(o).forEach(walk);
    }
  };
  walk(blocks);
  return out;
}

const buttonsOf = (blocks: readonly SlackBlock[]) =>
  blocks.filter((b) => b.type === 'actions').flatMap((b) => (Array.isArray(b.elements) ? b.elements : []));

describe('Function: mrkdwn', () => {
  it('escapes &, < and > (and nothing else) as Slack asks', () => {
    expect(mrkdwn('a & b <!channel> <https://evil|click> *bold*')).toBe(
      'a &amp; b &lt;!channel&gt; &lt;https://evil|click&gt; *bold*',
    );
  });
});

describe('Function: capText', () => {
  it('cuts to the limit without leaving half an escape or half a surrogate pair', () => {
    expect(capText('abc&amp;def', 6)).toBe('abc…');
    expect(capText('ab😀cd', 4)).toBe('ab…');
    expect(capText('short', 10)).toBe('short');
  });
});

describe('Function: approvalRequestMessage', () => {
  describe('when the facts are ordinary', () => {
    it('shows repository, tags, digest, stage, evidence, quorum, expiry and the page, with two buttons', () => {
      // Act
      const { blocks, text } = approvalRequestMessage(facts());

      // Assess
      const all = texts(blocks).join('\n');
      for (const want of [
        'demo/app',
        '1.4.0, latest',
        VIEW_DIGEST.slice(0, 19),
        'production',
        '*Pushed by:* arn:aws:iam::123456789012:user/alice@example.com',
        'Source:     https://github.com/acme/demo/app',
        'Commit:     sha1:0123456789abcdef0123456789abcdef01234567',
        'Builder:    https://github.com/acme/builders/.github/workflows/build.yml@refs/tags/v1',
        '*sbom* PASS',
        'CycloneDX 1.6',
        '*Dependency changes*',
        `since sha256:${'12'.repeat(32)}: +1 −1 ~1`,
        'new licenses: MIT',
        '~ express 4.21.1 → 4.21.2',
        '+ express@4.21.2',
        '- old-express@1.0.0',
        '*Vulnerability findings*',
        '1 counted, 1 excepted',
        'MEDIUM CVE-2024-0001 in express@4.21.2',
        'excepted CVE-2024-0001-x in express@4.21.2: VEX by alice@example.com (CycloneDX 1.6), expires 2027-01-01T00:00:00.000Z',
        '*Evaluation metrics*',
        'recommendation_precision_at_5: 0.81 (previous 0.8, delta +0.01, threshold',
        '1 of 2 (alice@example.com)',
        'quorum: 2 distinct approvers',
        'Expires 2026-11-26T10:00:00.000Z',
        `<${PAGE}|Open the approval page>`,
      ]) {
        expect(all).toContain(want);
      }
      expect(text).toContain('demo/app');
      expect(buttonsOf(blocks).map((b) => [b.action_id, b.style])).toEqual([
        ['approve', 'primary'],
        ['reject', 'danger'],
      ]);
    });

    it('puts in each button a value that parseSlackInteraction reads back as this approval and evidence set', () => {
      // Prepare
      const { blocks } = approvalRequestMessage(facts());

      // Act
      const read = buttonsOf(blocks).map((b) =>
        parseSlackInteraction(
          new URLSearchParams({
            payload: JSON.stringify({
              type: 'block_actions',
              user: { id: 'U0BOB' },
              actions: [{ action_id: b.action_id, value: b.value }],
            }),
          }).toString(),
        ),
      );

      // Assess
      expect(read.map((r) => [r.decision, r.approvalId, r.evidenceSetDigest])).toEqual([
        ['approve', '0123456789abcdef0123456789abcdef', ESD],
        ['reject', '0123456789abcdef0123456789abcdef', ESD],
      ]);
    });
  });

  describe('when a pusher puts Slack markup in every string of the view', () => {
    // One payload per field, so each field's escaping is seen on its own.
    const payload = (field: string) => `<!${field}><https://e.x|${field}>&amp;`;
    const strings = Object.fromEntries(
      Object.keys(PLAIN_STRINGS).map((k) => [k, payload(k)]),
    ) as unknown as AttackerStrings;
    const SHOWN = [
      'repository',
      'tag',
      'component',
      'version',
      'license',
      'findingId',
      'reason',
      'approver',
      'builder',
      'metric',
    ] as const;

    it('escapes it everywhere, so no mention, link or entity survives, and marks every text verbatim', () => {
      // Act
      const { blocks, text } = approvalRequestMessage(facts(strings));

      // Assess
      const objects = mrkdwnObjects(blocks);
      const all = [...objects.map((o) => o.text), text].join('\n');
      expect(all).not.toMatch(/<!|<@|<https:\/\/e\.x/);
      for (const field of SHOWN) expect(all, field).toContain(mrkdwn(payload(field)));
      // The only link is ours.
      expect(all.match(/<[^!@][^>]*>/g)).toEqual([`<${PAGE}|Open the approval page>`]);
      expect(objects.every((o) => o.verbatim === true)).toBe(true);
    });

    it.each(['<!channel>', '<@U0BOSS>', '<https://evil.example|click here>', '\u202Eexe\u0000\r\n<b>'])(
      'keeps %j as text in every field at once',
      (evil) => {
        // Act
        const { blocks, text } = approvalRequestMessage(facts(allStrings(evil)));

        // Assess
        const all = [...mrkdwnObjects(blocks).map((o) => o.text), text].join('\n');
        expect(all).not.toMatch(/<!|<@|<https:\/\/evil|<b>/);
        expect(all.includes('\u0000') || all.includes('\r')).toBe(false);
        expect(all.match(/<[^!@][^>]*>/g)).toEqual([`<${PAGE}|Open the approval page>`]);
      },
    );
  });

  describe('when the facts are far larger than Block Kit allows', () => {
    it('caps every text at 3000 characters, the blocks at 50 and keeps the buttons', () => {
      // Prepare
      const many = <T>(n: number, f: (i: number) => T) => ({
        items: Array.from({ length: n }, (_, i) => f(i)),
        total: n,
      });
      const long = '<'.repeat(5000);
      const base = sampleView();
      const huge = facts(allStrings(long), {
        tags: many(20, (i) => `tag-${i}-${'&'.repeat(40)}`),
        evidence: Array.from({ length: 200 }, (_, i) => ({
          kind: 'scan' as const,
          status: 'FAIL' as const,
          reasons: { items: Array.from({ length: 20 }, () => `${i}${'>'.repeat(10_000)}`), total: 50 },
        })),
        diff: base.diff.ok
          ? {
              ok: true,
              value: {
                ...base.diff.value,
                added: many(200, (i) => ({ name: `${i}${long}`, version: long, licenses: [long] })),
                changed: many(200, (i) => ({ name: `${i}${long}`, from: long, to: long })),
                newLicenses: many(200, (i) => `${i}${long}`),
              },
            }
          : base.diff,
        quorum: {
          required: 10,
          reasons: [],
          approvals: Array.from({ length: 10 }, () => ({
            by: 'x'.repeat(200),
            via: 'slack',
            at: '2026-11-25T11:00:00.000Z',
          })),
        },
      });

      // Act
      const { blocks, text } = approvalRequestMessage(huge);

      // Assess
      expect(blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
      for (const t of texts(blocks)) expect(t.length).toBeLessThanOrEqual(SLACK_LIMITS.text);
      expect(text.length).toBeLessThanOrEqual(SLACK_LIMITS.text);
      expect(texts(blocks).join('\n')).toContain('more evidence kinds on the page');
      expect(texts(blocks).join('\n')).toContain('…and 45 more');
      expect(texts(blocks).join('\n')).toContain('+200 −1 ~200');
      expect(texts(blocks).join('\n')).toContain('the full list is on the page');
      expect(texts(blocks).join('\n')).not.toMatch(/&[a-z]{0,3}…/);
      const buttons = buttonsOf(blocks);
      expect(buttons).toHaveLength(2);
      for (const b of buttons) expect(String(b.value).length).toBeLessThanOrEqual(SLACK_LIMITS.buttonValue);
      expect(blocks.find((b) => b.type === 'header')).toMatchObject({ text: { type: 'plain_text' } });
    });
  });
});

describe('Function: approvalOutcomeMessage', () => {
  it('says the outcome, by whom and how, with no buttons, escaping the pushed strings', () => {
    // Act
    const { blocks, text } = approvalOutcomeMessage({
      outcome: 'approved',
      repository: 'team/<!channel>',
      digest: VIEW_DIGEST,
      by: 'U0BOB',
      via: ['Slack button, signed request'],
      at: '2026-12-06T10:00:00.000Z',
      reasons: ['<https://evil|looks fine>'],
      pageUrl: 'https://gate.example/approvals/x',
    });

    // Assess
    const all = texts(blocks).join('\n');
    expect(all).toContain('Approved');
    expect(all).toContain('*By:* U0BOB (Slack button, signed request)');
    expect(all).toContain('team/&lt;!channel&gt;');
    expect(all).toContain('&lt;https://evil|looks fine&gt;');
    expect(text).toBe(`Approved: team/&lt;!channel&gt;@${VIEW_DIGEST.slice(0, 19)}`);
    expect(buttonsOf(blocks)).toEqual([]);
  });

  it.each(['rejected', 'expired', 'quarantined'] as const)('names the %s outcome', (outcome) => {
    // Act
    const { text } = approvalOutcomeMessage({
      outcome,
      repository: 'team/app',
      digest: VIEW_DIGEST,
      by: 'release-gate',
      via: [],
      at: '2026-12-06T10:00:00.000Z',
      reasons: [],
      pageUrl: 'https://gate.example/approvals/x',
    });

    // Assess
    expect(text.toLowerCase()).toContain(outcome);
  });
});
