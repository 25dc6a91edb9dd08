// What a stream's close code means for the connector: the words for the log, whether it waits the long
// (auth) backoff, and whether it is worth an error rather than a warning (a person has to act).
import { CloseCode } from '../../shared/protocol.ts';
import { TRY_AGAIN_LATER } from './transport.ts';

export const CLOSE_MEANING: Record<number, string> = {
  [CloseCode.InvalidToken]: 'invalid or revoked token (4001): waiting for a rotated token',
  [CloseCode.ChannelNotFound]: 'channel not found (4002)',
  [CloseCode.MaxConnections]: 'too many connections for this subscription (4003)',
  [CloseCode.NotBound]: 'subscription not bound to the channel (4004)',
  [CloseCode.HeartbeatTimeout]: 'heartbeat timeout (4008)',
  [TRY_AGAIN_LATER]: 'receiver asks to try again later (rate limited after failed attempts)',
};

const SLOW = new Set<number>([CloseCode.InvalidToken, CloseCode.NotBound, TRY_AGAIN_LATER]);
const LOUD = new Set<number>([CloseCode.InvalidToken, CloseCode.NotBound, CloseCode.ChannelNotFound]);

export const meaningOf = (code: number): string => CLOSE_MEANING[code] ?? `code ${code}`;
/** The fix is a rotated token, a binding, or time: reconnecting sooner would only hammer the receiver. */
export const isSlow = (code: number): boolean => SLOW.has(code);
export const isLoud = (code: number): boolean => LOUD.has(code);
