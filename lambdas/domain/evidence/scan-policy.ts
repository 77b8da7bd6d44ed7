/** The `scan` slice of a policy rule: finding thresholds per severity, and exceptions (VEX, ignores). */
import { VexPolicySchema } from '../vex/statement.js';
import * as z from '../zod.js';

export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'] as const;
export const SeveritySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof SeveritySchema>;

/** Most severe first (the order findings are listed in, in scan evidence and on the approval page). */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = {
  CRITICAL: 0,
  HIGH: 1,
  MEDIUM: 2,
  LOW: 3,
  INFORMATIONAL: 4,
  UNDEFINED: 5,
};

export const ScanPolicySchema = z._default(
  z.object({
    /**
     * Maximum number of findings per severity; a severity not listed is unlimited. A finding the
     * scanner could not score is UNDEFINED, which the default caps at 0 (fail closed).
     */
    maxFindings: z._default(z.partialRecord(SeveritySchema, z.number().check(z.int(), z.gte(0))), {
      CRITICAL: 0,
      HIGH: 0,
      UNDEFINED: 0,
    }),
    /** Vulnerability ids accepted outright (prefer VEX with an expiry, issue 3). */
    ignore: z._default(
      z.array(z.object({ id: z.string(), reason: z.string().check(z.minLength(1)), expires: z.iso.datetime() })),
      [],
    ),
    /**
     * VEX exceptions: inline statements (each with an explicit `expires`) plus signed OpenVEX
     * attestations on the image, which expire `maxAgeDays` after they were issued.
     */
    vex: z._default(VexPolicySchema, { maxAgeDays: 90, trustedAuthors: [], exceptions: [] }),
  }),
  {
    maxFindings: { CRITICAL: 0, HIGH: 0, UNDEFINED: 0 },
    ignore: [],
    vex: { maxAgeDays: 90, trustedAuthors: [], exceptions: [] },
  },
);
export type ScanPolicy = z.infer<typeof ScanPolicySchema>;
