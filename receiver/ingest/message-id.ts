// The id a message gets at ingest (the `id` of the 202 answer, `webhook-id` at the destination).
import { randomUUID } from 'node:crypto';

/**
 * A new message id as one flat string. Node builds randomUUID()'s string by concatenation: a tree of
 * cons strings (about 0.4 KB) that V8 keeps as it is when the string is only hashed and compared, and the
 * history index keys each message by its id for the whole retention window. toLowerCase() (the UUID's
 * characters are already lower case) hands back a sequential copy: 94 B instead of 518 per id held
 * (bench/RESULTS.md, issue 12).
 */
export const newMessageId = (): string => randomUUID().toLowerCase();
