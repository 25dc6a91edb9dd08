// What a stream's close code means for the connector: the words for the log, whether it waits the long
// (auth) backoff or a short one (the receiver is up and its trouble is brief), and whether it is worth an
// error rather than a warning (a person has to act).
import { CloseCode } from '../../shared/protocol.ts';
import { TRY_AGAIN_LATER } from './transport.ts';

const GOING_AWAY = 1001;
const INTERNAL_ERROR = 1011;
const ABNORMAL = 1006;

export const CLOSE_MEANING: Record<number, string> = {
  [CloseCode.InvalidToken]: 'invalid or revoked token (4001): waiting for a rotated token',
  [CloseCode.ChannelNotFound]: 'channel not found (4002)',
  [CloseCode.MaxConnections]: 'too many connections for this subscription (4003)',
  [CloseCode.NotBound]: 'subscription not bound to the channel (4004)',
  [CloseCode.HeartbeatTimeout]: 'heartbeat timeout (4008)',
  [TRY_AGAIN_LATER]: 'receiver asks to try again later (rate limited after failed attempts)',
  [INTERNAL_ERROR]: 'receiver error (1011): its buffer is unavailable',
  [GOING_AWAY]: 'receiver shutting down (1001)',
  [ABNORMAL]: 'receiver unreachable or connection lost (1006)',
};

const SLOW = new Set<number>([CloseCode.InvalidToken, CloseCode.NotBound, TRY_AGAIN_LATER]);
// The receiver answered and will be fine soon: its broker connection is coming back (1011), or it is
// being replaced (1001). Waiting the full cap after an outage only adds to the pause in deliveries.
const SOON = new Set<number>([GOING_AWAY, INTERNAL_ERROR]);
const LOUD = new Set<number>([CloseCode.InvalidToken, CloseCode.NotBound, CloseCode.ChannelNotFound]);

export const meaningOf = (code: number): string => CLOSE_MEANING[code] ?? `code ${code}`;
/** The fix is a rotated token, a binding, or time: reconnecting sooner would only hammer the receiver. */
export const isSlow = (code: number): boolean => SLOW.has(code);
/** Reconnect within the short cap: the receiver itself is reachable. */
export const isSoon = (code: number): boolean => SOON.has(code);
export const isLoud = (code: number): boolean => LOUD.has(code);
