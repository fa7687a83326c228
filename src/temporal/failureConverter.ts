import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Failure messages and stack traces go into Temporal's history as an encoded payload, so the payload
 * codec encrypts them like everything else: a vendor's refusal names the person it could not reach
 * ("no such recipient: bob@…"). Temporal sees "Encoded failure"; the failure's type, retry and
 * non-retryable flags stay plaintext (the server acts on them). Every SDK decodes these attributes
 * whether or not it encodes them, so older workers and stored histories read both kinds.
 *
 * Loaded by path: the workflow bundle carries it (src/temporal/bundle.ts) and every Client and
 * Worker Klaxon creates names it (src/temporal/encryption.ts).
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
