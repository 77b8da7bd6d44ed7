/**
 * The evidence table's key schema: the single source of truth shared by the DynamoDB adapter, the
 * local stand-ins (CreateTable on dynalite) and the CDK construct. Every key attribute is a string.
 *
 * Item layout (single table, see DESIGN.md "Data"):
 * | item | pk | sk | gsi1 (by state) | gsi2 (by type, time) |
 * |---|---|---|---|---|
 * | release | `REL#<repo>@<digest>` | `META` | `RELEASE#<state>` / `<recordedAt>#<repo>@<digest>` | `RELEASE` / same |
 * | evidence | `REL#<repo>@<digest>` | `EV#<kind>` | | |
 * | decision | `REL#<repo>@<digest>` | `DECISION` | | |
 * | pushed tag | `REL#<repo>@<digest>` | `TAG#<tag>` | | |
 * | parent index | `REL#<repo>@<digest>` | `PARENT#<index digest>` | | |
 * | pusher | `REL#<repo>@<digest>` | `PUSHER#<identity>` | | |
 * | approval audit | `REL#<repo>@<digest>` | `AUDIT#<at>#<id>` (append-only) | | |
 * | revocation | `REL#<repo>@<digest>` | `REVOKED` | | |
 * | archived round (evidence, decision) | `REL#<repo>@<digest>` | `ROUND#<n>#EV#<kind>`, `ROUND#<n>#DECISION` | | |
 * | re-validation alert | `REL#<repo>@<digest>` | `ALERT#<advisory id>` | | |
 * | approval | `APPROVAL#<id>` | `META` | `APPROVAL#<state>` / `<requestedAt>#<id>` | `APPROVAL` / same |
 * | package index entry | `PKG#<purl without version>` | `<version>#<repo>@<digest>#<set>` | | |
 * | … of a source package | `PKG#<source purl without version>` | `<source version>#<repo>@<digest>#<set>` | | |
 * | index node | `IDXNODE#<repo>` | `<digest>#<set>` | | |
 * | … links of the nodes of 50 `seq`s (what triage reads) | `IDXSEQ#<repo>` | `<first seq, 12 digits>` | | |
 * | newest complete index node | `IDXHEAD#<repo>` | `META` | | |
 * | CVE index | `CVE#<id>` | `<repo>@<digest>` | | |
 * | promotion track (promotions and rollbacks), a month's entries an item | `TRACK#<repo>` | `<yyyy-mm>[#<spill>]` | | |
 * | promotion marker | `TRACKED#<repo>@<digest>` | `META` | | |
 * | finished states of a repository's releases (derived) | `RELSTATES#<repo>` | `<first hex digit of the digest>` | | |
 * | tracked repository | `TRACKS` | `<repo>` | | |
 * | break-glass request (ops API) | `BREAKGLASS#<id>` | `META` | | |
 * | scan rendezvous | `SCAN#<repo>@<digest>` | `META` | | |
 * | advisory index: an OSV record version under a package it names (dynamo-advisory-index.ts) | `ADVPKG#<hash of ecosystem and name>` | `<hash of object key and ETag>` | | |
 * | advisory index: indexed records' key → ETag, one attribute each | `ADVKEYS` | `<shard, 00–3f>` | | |
 *
 * Expiry (DynamoDB TTL on `TIME_TO_LIVE_ATTRIBUTE`, epoch seconds; `expiringAt`): only two kinds of
 * item ever carry it, everything else is the record of a release, a decision or an audit trail and
 * is kept for good (as the evidence bucket's Object Lock keeps the documents):
 * - a scan rendezvous holding only a task token (no scan result came): `EXPIRED_ITEM_RETENTION`
 *   after the token was stored, long after the wait timed out (`scanTimeout` is at most 30 days).
 *   Once a result is stored the item is kept: a later gate round of the digest (a release from
 *   quarantine) goes on from it instead of waiting for a scan event that does not come again;
 * - a break-glass request never confirmed (PENDING): `EXPIRED_ITEM_RETENTION` after its deadline.
 *   Its confirmation (USED) removes the attribute: who confirmed a break-glass is kept.
 * Approvals and break-glass requests keep their own deadline (ISO 8601, the records' `expiresAt`)
 * in `DEADLINE_ATTRIBUTE`: items written before kept it in `expiresAt` as a string, which TTL
 * ignores (it deletes only on a number) and which is still read (`withDeadline`).
 *
 * The package index is written as index nodes (package-index.ts): one per collected SBOM of a
 * release (`<set>`: 16 hex digits of its entry set's sha256), its entries relative to a base node
 * of the same repository, so a release writes what changed. An entry says the node has the
 * package version (with `components`, the full purls it stands for, when they are more than
 * `<package>@<version>`), or with `removed` that it no longer has it (on an upgrade, `replaces`
 * names the versions it no longer has); the node's descendants inherit the rest
 * (triage/inherit.ts). Each entry carries its node's `seq`: a chain of deltas is at most
 * `Limits.indexChainLength` long, so the nodes that may inherit it are the next that many, and
 * triage reads only those links (`IDXSEQ#`, by `seq`). A node's link is one attribute of its
 * bucket's item, named `<digest>.<set>`, valued `<seq>` or `<seq> <base's indexNodeRef>`
 * (digests, set ids and references in base64url, not hex: 43 characters a digest instead of 64):
 * packed, because a question about a package in every release reads every node's link, and one
 * item a node spent most of those bytes on attribute names and keys. Entries written before nodes (no
 * `#<set>`) stand for their release alone. Triage reads one partition per package with Query,
 * never Scan: the version sort key orders as strings, not as the ecosystem orders versions, so
 * the range is applied to the partition's items, not in the key condition.
 *
 * The promotion track packs a month of a repository's entries into an item, one attribute an entry
 * named by its identity: `<promotedAt>` as 8 base-36 digits of its milliseconds, then the digest in
 * base64url (51 characters), or `<promotedAt>#<digest in base64url>` for a `promotedAt` that is not
 * an instant as `toISOString` writes it (and in items written before). Its value is
 * `<targetRepository> <tag>`, the repository's own name in the target written `*` under a compact
 * name, or the entry's other fields as JSON when it has more (a rollback's `kind`, `by`, `reason`):
 * triage reads every track of the repositories a question hits, and one item an entry spent half
 * its bytes on attribute names. A month that outgrows DynamoDB's 400 KB item limit (~3,000
 * entries) goes on in `#01`, `#02`… Items of the earlier layout (`<promotedAt>#<digest>`, one an
 * entry) are still read.
 *
 * Once a promoted release's item says PROMOTED (final: never stale), its promotion entry is marked
 * `!<links> <value>`: `<links>` are its index nodes' links (`<set><seq>[.<base set>]`, packed,
 * comma-separated; the base is the node at `seq - 1` with that set, records.ts `parentSet`), which
 * then leave their `IDXSEQ#` item. Triage, which reads the track of every
 * repository it hits anyway, so reads a promoted release's digest once (not in its link, its track
 * entry and its state copy) and no state copy for it. A link leaves `IDXSEQ#` only after its entry
 * holds it, and triage reads a repository's track after its node ranges, so a link moving meanwhile
 * is read in one place or the other; a node started later keeps its link in `IDXSEQ#`, and a link
 * written again there (a retried start) is read twice, as one node.
 *
 * `RELSTATES#` holds a copy of each release's state once it is finished (PROMOTED, QUARANTINED,
 * COVERED), one attribute a release named by its digest (base64url), valued `<gate round, 2
 * digits><P|Q|C>`, or `<round>-` while a round it started is open: a finished state never changes
 * (a QUARANTINED release only starts another round), so the copy, written after the release item,
 * is either right or missing, and the round's start writes its `-` before the release item moves,
 * so a copy is never stale. Writes only raise the value (`<`), so a copy of an ended round written
 * late cannot hide the next one. Anything but a finished state is read from the release item. The
 * copy of a PROMOTED state is written here too, but triage reads it from the marked track entry.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

export const TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;

/** Global secondary indexes. Both project all attributes (the items are small). */
export const TABLE_GSIS = [
  /** Releases and approvals by state, newest last: `listReleasesByState`, `listApprovals(state)`. */
  { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  /** Releases and approvals by type, newest last: `listReleases`, `listApprovals()`. */
  { indexName: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
] as const;

export type TableGsiName = (typeof TABLE_GSIS)[number]['indexName'];

const META = 'META';

/**
 * The table's TTL attribute. Its name is fixed: DynamoDB cannot move an enabled TTL to another
 * attribute in place (disable, wait up to an hour, enable: two deployments), so a deployed table keeps it.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-dynamodb-table-timetolivespecification.html
 */
export const TIME_TO_LIVE_ATTRIBUTE = 'expiresAt';

/** Where approvals and break-glass requests keep their deadline (ISO 8601). */
export const DEADLINE_ATTRIBUTE = 'deadline';

/** How long an expiring item is kept after it stopped mattering (see the table above): 90 days. */
export const EXPIRED_ITEM_RETENTION_SECONDS = 90 * 24 * 60 * 60;

/** The TTL value (epoch seconds) of an item that stopped mattering at `instant` (ms). */
export function expiringAt(instantMs: number): number {
  return Math.ceil(instantMs / 1000) + EXPIRED_ITEM_RETENTION_SECONDS;
}

/** A record with an ISO `expiresAt` as its item stores it: the deadline under `DEADLINE_ATTRIBUTE`. */
export function deadlineItem<T extends { readonly expiresAt: string }>(
  record: T,
): Omit<T, 'expiresAt'> & { [DEADLINE_ATTRIBUTE]: string } {
  const { expiresAt, ...rest } = record;
  return { ...rest, [DEADLINE_ATTRIBUTE]: expiresAt };
}

/**
 * An approval or break-glass item as its record schema reads it: `expiresAt` is the deadline, from
 * `DEADLINE_ATTRIBUTE`, or from an item written before it existed, whose `expiresAt` is that string.
 * A numeric `expiresAt` is the TTL, never the deadline: without `deadline` the item is malformed.
 */
export function withDeadline(item: unknown): unknown {
  if (typeof item !== 'object' || item === null) return item;
  const { [DEADLINE_ATTRIBUTE]: deadline, ...rest }: Record<string, unknown> = { ...item };
  if (deadline !== undefined) return { ...rest, expiresAt: deadline };
  return typeof rest.expiresAt === 'string' ? rest : { ...rest, expiresAt: undefined };
}

/**
 * Index node links packed to an item (`indexNodeLinks`): the chain length, so that the 50 nodes
 * after any node (what triage reads) lie in at most two items. An item holds ~130 B a node, ~7 KB
 * for a bucket, far under DynamoDB's 400 KB item limit unless hundreds of nodes start at one seq.
 */
export const INDEX_LINK_BUCKET = 50;

/** Key builders, so that no other file spells a key prefix. */
export const itemKeys = {
  release: (repository: string, digest: string) => ({ pk: `REL#${repository}@${digest}`, sk: META }),
  evidence: (repository: string, digest: string, kind: string) => ({
    pk: `REL#${repository}@${digest}`,
    sk: `EV#${kind}`,
  }),
  evidencePrefix: 'EV#',
  pushedTag: (repository: string, digest: string, tag: string) => ({
    pk: `REL#${repository}@${digest}`,
    sk: `TAG#${tag}`,
  }),
  pushedTagPrefix: 'TAG#',
  parentIndex: (repository: string, digest: string, index: string) => ({
    pk: `REL#${repository}@${digest}`,
    sk: `PARENT#${index}`,
  }),
  parentIndexPrefix: 'PARENT#',
  pusher: (repository: string, digest: string, identity: string) => ({
    pk: `REL#${repository}@${digest}`,
    sk: `PUSHER#${identity}`,
  }),
  pusherPrefix: 'PUSHER#',
  /** Under the release, not the approval: `status <digest>` reads every approval's trail in one query. */
  approvalAudit: (repository: string, digest: string, at: string, id: string) => ({
    pk: `REL#${repository}@${digest}`,
    sk: `AUDIT#${at}#${id}`,
  }),
  approvalAuditPrefix: 'AUDIT#',
  revocation: (repository: string, digest: string) => ({ pk: `REL#${repository}@${digest}`, sk: 'REVOKED' }),
  alert: (repository: string, digest: string, advisoryId: string) => ({
    pk: `REL#${repository}@${digest}`,
    sk: `ALERT#${advisoryId}`,
  }),
  alertPrefix: 'ALERT#',
  decision: (repository: string, digest: string) => ({ pk: `REL#${repository}@${digest}`, sk: 'DECISION' }),
  /** An earlier gate round's evidence or decision, copied when the next round starts (`resubmitRelease`). */
  roundEvidence: (repository: string, digest: string, round: number, kind: string) => ({
    pk: `REL#${repository}@${digest}`,
    sk: `ROUND#${round}#EV#${kind}`,
  }),
  roundDecision: (repository: string, digest: string, round: number) => ({
    pk: `REL#${repository}@${digest}`,
    sk: `ROUND#${round}#DECISION`,
  }),
  roundPrefix: (round: number) => `ROUND#${round}#`,
  approval: (approvalId: string) => ({ pk: `APPROVAL#${approvalId}`, sk: META }),
  breakGlass: (id: string) => ({ pk: `BREAKGLASS#${id}`, sk: META }),
  packageIndex: (purlWithoutVersion: string, version: string, repository: string, digest: string, set: string) => ({
    pk: `PKG#${purlWithoutVersion}`,
    sk: `${version}#${repository}@${digest}#${set}`,
  }),
  indexNode: (repository: string, digest: string, set: string) => ({
    pk: `IDXNODE#${repository}`,
    sk: `${digest}#${set}`,
  }),
  /**
   * The links of the nodes whose `seq` falls in one bucket of `INDEX_LINK_BUCKET` (its first seq,
   * 12 digits, so that the sort key orders as the number does): one attribute a node.
   */
  indexNodeLinks: (repository: string, seq: number) => ({
    pk: `IDXSEQ#${repository}`,
    sk: String(seq - (seq % INDEX_LINK_BUCKET)).padStart(12, '0'),
  }),
  indexNodeLinksPartition: (repository: string) => `IDXSEQ#${repository}`,
  indexHead: (repository: string) => ({ pk: `IDXHEAD#${repository}`, sk: META }),
  packagePartition: (purlWithoutVersion: string) => `PKG#${purlWithoutVersion}`,
  vulnerabilityIndex: (id: string, repository: string, digest: string) => ({
    pk: `CVE#${id}`,
    sk: `${repository}@${digest}`,
  }),
  vulnerabilityPartition: (id: string) => `CVE#${id}`,
  /**
   * The track's entries of one month (`promotedAt`'s first 7 characters), one attribute an entry
   * (`trackEntryName`); `spill` numbers the further items of a month that filled one.
   */
  trackMonth: (repository: string, promotedAt: string, spill = 0) => ({
    pk: `TRACK#${repository}`,
    sk: `${promotedAt.slice(0, 7) || '-'}${spill === 0 ? '' : `#${String(spill).padStart(2, '0')}`}`,
  }),
  trackPartition: (repository: string) => `TRACK#${repository}`,
  /**
   * The finished states of a repository's releases whose digest starts with one hex digit: 16
   * items a repository, one attribute a release (`getReleaseStatuses` reads them instead of one
   * release item each when several of a question's releases share one).
   */
  releaseStates: (repository: string, digest: string) => ({
    pk: `RELSTATES#${repository}`,
    sk: digest.slice('sha256:'.length, 'sha256:'.length + 1),
  }),
  /** One item per repository with a track: re-validation lists where releases can be live. */
  trackedRepository: (repository: string) => ({ pk: 'TRACKS', sk: repository }),
  trackedRepositoriesPartition: 'TRACKS',
  trackMarker: (repository: string, digest: string) => ({ pk: `TRACKED#${repository}@${digest}`, sk: META }),
  scan: (repository: string, digest: string) => ({ pk: `SCAN#${repository}@${digest}`, sk: META }),
} as const;

/** Secondary index keys: gsi1 groups by state, gsi2 by item type; both sort by time. */
export const indexKeys = {
  release: (state: string, recordedAt: string, repository: string, digest: string) => ({
    gsi1pk: `RELEASE#${state}`,
    gsi1sk: `${recordedAt}#${repository}@${digest}`,
    gsi2pk: 'RELEASE',
    gsi2sk: `${recordedAt}#${repository}@${digest}`,
  }),
  releaseStatePartition: (state: string) => `RELEASE#${state}`,
  releaseTypePartition: 'RELEASE',
  approval: (state: string, requestedAt: string, approvalId: string) => ({
    gsi1pk: `APPROVAL#${state}`,
    gsi1sk: `${requestedAt}#${approvalId}`,
    gsi2pk: 'APPROVAL',
    gsi2sk: `${requestedAt}#${approvalId}`,
  }),
  approvalStatePartition: (state: string) => `APPROVAL#${state}`,
  approvalTypePartition: 'APPROVAL',
} as const;

/** CreateTable input for dynalite and scripts; the CDK construct builds the same schema from TABLE_KEYS/TABLE_GSIS. */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const keyAttributes = [
    TABLE_KEYS.partitionKey,
    TABLE_KEYS.sortKey,
    ...TABLE_GSIS.flatMap((g) => [g.partitionKey, g.sortKey]),
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: keyAttributes.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: TABLE_GSIS.map((g) => ({
      IndexName: g.indexName,
      KeySchema: [
        { AttributeName: g.partitionKey, KeyType: 'HASH' },
        { AttributeName: g.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    })),
  };
}
