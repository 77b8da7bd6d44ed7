/**
 * HTML and line injection through every attacker-controlled string of the approval view (issue 8
 * §7): the repository, tags, component names, versions and licenses, finding ids and summaries,
 * reasons, comments, approver names, builder ids and eval metric names. The page and the mail's
 * HTML part must carry them only escaped (the document's markup is the same whatever they hold),
 * and the text part must keep them on their own printable lines.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { approvalEmail } from '../../lambdas/domain/approval/email.js';
import { renderApprovalPage } from '../../lambdas/domain/workflow/approval-page.js';
import type { ApprovalView } from '../../lambdas/domain/workflow/approval-view.js';
import { esc } from '../../lambdas/domain/workflow/html.js';
import { type AttackerStrings, allStrings, PLAIN_STRINGS, sampleView } from '../support/approval-views.js';

const PAYLOADS = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "'><svg onload=alert(1)>",
  'javascript:alert(document.cookie)',
  '</td></tr></table><form action="https://evil.example"><button>Approve</button></form>',
  '<a href="javascript:alert(1)">click</a>',
  'x\r\nBcc: mallory@example.com\r\n\r\n<b>',
  '\u202Eexe.txt\u0000\u001b[31m',
] as const;

const LINK = 'https://gate.example.com/approvals/0123456789abcdef0123456789abcdef?t=eyJh.c2ln';

const page = (view: ApprovalView, approver: string) =>
  renderApprovalPage(view, '/approvals/0123456789abcdef0123456789abcdef', { token: 'eyJh.c2ln', approver });
const mail = (view: ApprovalView) => approvalEmail({ view, to: 'bob@example.com', link: LINK });

/** Every tag of a document with its attributes, in order: what a parser builds elements from. */
const markup = (html: string): string[] => [...html.matchAll(/<\/?[a-zA-Z][^>]*>/g)].map((m) => m[0]);

/** Control characters, line and paragraph separators and bidi overrides; the text part keeps only `\n`. */
const UNPRINTABLE = /(?!\n)[\p{Cc}\p{Zl}\p{Zp}\u202A-\u202E\u2066-\u2069]/u;

function render(strings: AttackerStrings) {
  const view = sampleView(strings);
  return { page: page(view, strings.approver), mail: mail(view) };
}

const baseline = render(PLAIN_STRINGS);

describe('Approval page and mail: injection through attacker-controlled strings', () => {
  describe.each(PAYLOADS)('when every attacker-controlled string is %j', (payload) => {
    const rendered = render(allStrings(payload));

    it('the page carries it only escaped, and its markup is that of a harmless release', () => {
      // Assess
      if (/[<>"'&]/.test(payload)) expect(rendered.page).not.toContain(payload);
      expect(rendered.page).toContain(esc(payload));
      expect(markup(rendered.page)).toEqual(markup(baseline.page));
      expect(rendered.page).not.toMatch(/<(script|img|svg|a)\b/i);
      expect(markup(rendered.page).filter((tag) => /\b(href|src|on\w+)=/i.test(tag))).toEqual([]);
    });

    it('the mail HTML carries it only escaped, and its only link is the signed one', () => {
      // Assess
      if (/[<>"'&]/.test(payload)) expect(rendered.mail.html).not.toContain(payload);
      expect(markup(rendered.mail.html)).toEqual(markup(baseline.mail.html));
      expect([...rendered.mail.html.matchAll(/href="([^"]*)"/g)].map((m) => m[1])).toEqual([LINK]);
    });

    it('the text part and subject keep it on printable lines, the link on its own', () => {
      // Assess
      expect(rendered.mail.text).not.toMatch(UNPRINTABLE);
      expect(rendered.mail.subject).not.toMatch(UNPRINTABLE);
      expect(rendered.mail.text.split('\n')).toHaveLength(baseline.mail.text.split('\n').length);
      expect(rendered.mail.text.split('\n')).toContain(LINK);
    });
  });

  describe('Property: any strings at all', () => {
    const anyString = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom(...PAYLOADS));
    const strings = fc.record<AttackerStrings>({
      repository: anyString,
      tag: anyString,
      component: anyString,
      version: anyString,
      license: anyString,
      findingId: anyString,
      findingSummary: anyString,
      reason: anyString,
      comment: anyString,
      approver: anyString,
      builder: anyString,
      metric: anyString,
    });

    it('never change the markup of the page or the mail, nor the lines of the text part', () => {
      fc.assert(
        fc.property(strings, (s) => {
          const r = render(s);
          expect(markup(r.page)).toEqual(markup(baseline.page));
          expect(markup(r.mail.html)).toEqual(markup(baseline.mail.html));
          expect(r.mail.text).not.toMatch(UNPRINTABLE);
          expect(r.mail.text.split('\n')).toHaveLength(baseline.mail.text.split('\n').length);
        }),
        { numRuns: 300 },
      );
    });

    it('esc leaves no markup character and reads back as the original text', () => {
      const unescapeHtml = (h: string) =>
        h.replace(
          /&(amp|lt|gt|quot|#39);/g,
          (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e] ?? '',
        );
      fc.assert(
        fc.property(fc.string({ unit: 'binary' }), (s) => {
          const e = esc(s);
          expect(e).not.toMatch(/[<>"']/);
          expect(e).not.toMatch(/&(?!(amp|lt|gt|quot|#39);)/);
          expect(unescapeHtml(e)).toBe(s);
        }),
      );
    });
  });
});
