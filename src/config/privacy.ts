import { z } from 'zod';
import { duration } from './durationSchema';

/** A built-in redaction rule (src/audit/redact.ts says what each one matches). */
export const BUILTIN_RULES = ['email', 'ip', 'phone', 'bearer'] as const;

const customRule = z
  .object({
    /** A JavaScript regular expression, without slashes or flags (matched case-sensitively, globally). */
    regex: z.string().min(1).superRefine((src, ctx) => {
      try {
        new RegExp(src, 'g');
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${(err as Error).message}` });
        return;
      }
      // A pattern that matches the empty string would "redact" between every character.
      if (new RegExp(`^(?:${src})$`).test('')) ctx.addIssue({ code: 'custom', message: 'the regex matches the empty string' });
    }),
    /** The placeholder's name: a match becomes `[<name>]`. */
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'use lower-case letters, digits, - and _ (max 32)'),
  })
  .strict();

export const redactRuleSchema = z.union([z.enum(BUILTIN_RULES), customRule], {
  error: (issue) => (issue.code === 'invalid_union' ? `a rule is one of ${BUILTIN_RULES.join(', ')} or { regex, name }` : undefined),
});

/**
 * Personal data in the audit trail (issue #10): `redact` rules are applied to event details and
 * incident titles before they are written, and to the alert labels and annotations the anomaly
 * model's features and training rows are built from. Matches become `[email]`, `[ip]` … .
 */
export const privacySchema = z
  .object({
    redact: z.array(redactRuleSchema).default([]),
  })
  .strict();

/** How long a tenant's audit rows are kept (`400d`); absent: forever. */
export const retentionSchema = duration().refine((ms) => ms >= 86_400_000, 'retention must be at least 1d');

export type RedactRule = z.infer<typeof redactRuleSchema>;
export type PrivacyConfig = z.infer<typeof privacySchema>;
