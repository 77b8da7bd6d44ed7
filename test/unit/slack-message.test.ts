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

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const ESD = `sha256:${'cd'.repeat(32)}`;

function facts(over: Partial<ApprovalRequestFacts> = {}): ApprovalRequestFacts {
  return {
    approvalId: '0123456789abcdef0123456789abcdef',
    evidenceSetDigest: ESD,
    repository: 'team/app',
    digest: DIGEST,
    tags: ['1.4.0'],
    stage: 'production',
    decision: 'PASS',
    evidence: [
      { kind: 'sbom', status: 'PASS', reasons: ['CycloneDX 1.6, 212 components'] },
      { kind: 'scan', status: 'PASS', reasons: ['no findings at or above HIGH'] },
    ],
    pushers: ['arn:aws:iam::000000000000:user/alice'],
    quorum: { required: 2, approvedBy: ['bob@example.com'], reasons: ['quorum: 2 distinct approvers'] },
    expiresAt: '2026-12-07T10:00:00.000Z',
    pageUrl: 'https://gate.example/approvals/0123456789abcdef0123456789abcdef',
    ...over,
  };
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
        'team/app',
        '1.4.0',
        DIGEST.slice(0, 19),
        'production',
        '*sbom* PASS',
        'CycloneDX 1.6, 212 components',
        '1 of 2 (bob@example.com)',
        'quorum: 2 distinct approvers',
        'Expires 2026-12-07T10:00:00.000Z',
        '<https://gate.example/approvals/0123456789abcdef0123456789abcdef|Open the approval page>',
      ]) {
        expect(all).toContain(want);
      }
      expect(text).toContain('team/app');
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

  describe('when a pusher puts Slack markup in the repository, tags and reasons', () => {
    it('escapes it everywhere, so no mention, link or entity survives, and marks every text verbatim', () => {
      // Prepare
      const evil = facts({
        repository: 'team/<!channel>&co',
        tags: ['<https://evil.example|click here>', 'a&b'],
        evidence: [{ kind: 'scan', status: 'FAIL', reasons: ['<!here> see <https://evil.example|the fix> &amp;'] }],
        pushers: ['<@U0BOSS>'],
        quorum: { required: 1, approvedBy: ['<!everyone>'], reasons: [] },
      });

      // Act
      const { blocks, text } = approvalRequestMessage(evil);

      // Assess
      const objects = mrkdwnObjects(blocks);
      const all = [...objects.map((o) => o.text), text].join('\n');
      expect(all).not.toMatch(/<!|<@|<https:\/\/evil/);
      expect(all).toContain('team/&lt;!channel&gt;&amp;co');
      expect(all).toContain('&lt;https://evil.example|click here&gt;, a&amp;b');
      expect(all).toContain('&lt;!here&gt; see &lt;https://evil.example|the fix&gt; &amp;amp;');
      expect(all).toContain('&lt;@U0BOSS&gt;');
      expect(all).toContain('&lt;!everyone&gt;');
      // The only link is ours.
      expect(all.match(/<[^!@][^>]*>/g)).toEqual([
        '<https://gate.example/approvals/0123456789abcdef0123456789abcdef|Open the approval page>',
      ]);
      expect(objects.every((o) => o.verbatim === true)).toBe(true);
    });
  });

  describe('when the facts are far larger than Block Kit allows', () => {
    it('caps every text at 3000 characters, the blocks at 50 and keeps the buttons', () => {
      // Prepare
      const huge = facts({
        repository: `r/${'<'.repeat(5000)}`,
        tags: Array.from({ length: 500 }, (_, i) => `tag-${i}-${'&'.repeat(40)}`),
        evidence: Array.from({ length: 200 }, (_, i) => ({
          kind: `kind-${i}`,
          status: 'FAIL',
          reasons: Array.from({ length: 50 }, () => '>'.repeat(10_000)),
        })),
        quorum: { required: 10, approvedBy: Array.from({ length: 10 }, () => 'x'.repeat(200)), reasons: [] },
      });

      // Act
      const { blocks, text } = approvalRequestMessage(huge);

      // Assess
      expect(blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
      for (const t of texts(blocks)) expect(t.length).toBeLessThanOrEqual(SLACK_LIMITS.text);
      expect(text.length).toBeLessThanOrEqual(SLACK_LIMITS.text);
      expect(texts(blocks).join('\n')).toContain('more evidence kinds on the page');
      expect(texts(blocks).join('\n')).toContain('…and 45 more');
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
      digest: DIGEST,
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
    expect(text).toBe(`Approved: team/&lt;!channel&gt;@${DIGEST.slice(0, 19)}`);
    expect(buttonsOf(blocks)).toEqual([]);
  });

  it.each(['rejected', 'expired', 'quarantined'] as const)('names the %s outcome', (outcome) => {
    // Act
    const { text } = approvalOutcomeMessage({
      outcome,
      repository: 'team/app',
      digest: DIGEST,
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
