/**
 * Who is who in an approval: identities (an email, a Slack user id, an IAM principal ARN,
 * `github:<numeric id>`) resolve to people through the policy's `approval.people`, so the
 * allowlist, the quorum ("distinct approvers") and separation of duties ("not the pusher") all
 * count people. An identity no person lists is a person of its own.
 */
import type { ApprovalPerson, ApprovalPolicy } from '../evidence/approval-policy.js';
import { globMatches } from '../glob.js';

const isArn = (identity: string): boolean => identity.startsWith('arn:');
/** Emails compare case-insensitively (in practice mail systems treat the local part so, too). */
const normal = (identity: string): string =>
  identity.includes('@') && !isArn(identity) ? identity.toLowerCase() : identity;

/** The identities a person is known by, as answers and events spell them (IAM ones are patterns). */
function identitiesOf(person: ApprovalPerson): string[] {
  return [
    ...(person.email === undefined ? [] : [normal(person.email)]),
    ...(person.slack === undefined ? [] : [person.slack]),
    ...(person.github === undefined ? [] : [`github:${person.github}`]),
  ];
}

function personMatches(person: ApprovalPerson, identity: string): boolean {
  if (isArn(identity)) return person.iam.some((pattern) => globMatches(pattern, identity, { segments: false }));
  return identitiesOf(person).includes(normal(identity));
}

/** The person an identity belongs to: the first entry of `people` that lists it. */
export function findPerson(rules: ApprovalPolicy, identity: string): ApprovalPerson | undefined {
  return rules.people.find((p) => personMatches(p, identity.trim()));
}

/**
 * A stable name for the person behind `identity`: the person's email, else Slack id, GitHub id or
 * first IAM pattern; the identity itself when no person lists it.
 */
export function personKey(rules: ApprovalPolicy, identity: string): string {
  const person = findPerson(rules, identity);
  if (person === undefined) return normal(identity.trim());
  return identitiesOf(person)[0] ?? person.iam[0] ?? normal(identity.trim());
}

/**
 * Whether `identity` may answer: the allowlist is empty, or it lists this identity or another of
 * the same person (`arn:` entries are patterns over IAM principals, `*` matching anything).
 */
export function isAllowedApprover(rules: ApprovalPolicy, identity: string): boolean {
  if (rules.approvers.length === 0) return true;
  const id = identity.trim();
  const person = findPerson(rules, id);
  const known = [normal(id), ...(person === undefined ? [] : identitiesOf(person))];
  return rules.approvers.some((entry) =>
    isArn(entry) ? isArn(id) && globMatches(entry, id, { segments: false }) : known.includes(normal(entry)),
  );
}

/** The pusher identities that are the same person as `identity`. */
export function pushersMatching(rules: ApprovalPolicy, identity: string, pushers: readonly string[]): string[] {
  const key = personKey(rules, identity);
  return pushers.filter((p) => personKey(rules, p) === key);
}

/**
 * What makes a rule's approval settings unusable, checked when the policy is loaded: an identity
 * listed for two people (then "distinct approvers" and "not the pusher" would depend on list
 * order), or an allowlist of fewer people than the quorum (every release would expire). An
 * allowlist with IAM patterns can match any number of principals, so it is not counted.
 */
export function approvalRulesProblems(rules: ApprovalPolicy): string[] {
  const problems: string[] = [];
  const owners = new Map<string, number>();
  for (const [i, person] of rules.people.entries()) {
    for (const id of [...identitiesOf(person), ...person.iam]) {
      const first = owners.get(id);
      if (first !== undefined && first !== i) problems.push(`identity ${id} is listed for two people`);
      owners.set(id, i);
    }
  }
  if (rules.approvers.length > 0 && !rules.approvers.some(isArn)) {
    const people = new Set(rules.approvers.map((a) => personKey(rules, a))).size;
    if (people < rules.quorum) {
      problems.push(`quorum ${rules.quorum} needs that many distinct approvers; approvers names ${people}`);
    }
  }
  return problems;
}
