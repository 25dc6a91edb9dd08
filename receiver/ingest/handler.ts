// POST /webhook/{ns}/{channel} (SPEC §4): read the raw body within the channel's limit, verify the provider
// signature, pick the event type and the subscriptions it routes to, publish once to the buffer and answer
// 202 {"id"} only after the buffer confirmed the message for every routed queue.
//
// A message that matches no subscription is answered 202 too and recorded in its history with no routed
// subscriptions ("unrouted"): the provider did nothing wrong and would only retry a 4xx/5xx forever, and an
// error would tell the public internet how subscriptions filter. The history makes the drop visible.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../shared/logger.ts';
import { BufferError, type MessageBuffer, type StoredMessage } from '../buffer/types.ts';
import type { ChannelSnapshot, RuntimeChannel } from '../channels.ts';
import { ReceiverError, sendError, type ErrorCode } from '../errors.ts';
import type { IngestOutcome, ReceiverMetrics } from '../metrics.ts';
import { clientAddress, type TrustedProxies } from '../client-address.ts';
import type { FailureLimiter } from '../ratelimit.ts';
import { readBody } from './body.ts';
import { relayHeaders, traceparentOf } from './headers.ts';
import { newMessageId } from './message-id.ts';

export interface IngestDeps {
  snapshot(): ChannelSnapshot;
  buffer: MessageBuffer;
  clock(): number;
  logger: Logger;
  metrics: ReceiverMetrics;
  limiter: FailureLimiter;
  trusted: TrustedProxies;
}

/** Label children cached per compiled channel: no label hashing or allocation per request. */
interface ChannelMeters {
  outcome: Map<IngestOutcome, { inc(): void }>;
  duration: { observe(v: number): void };
  confirm: { observe(v: number): void };
}

const UNKNOWN = { namespace: '_unknown', name: '_unknown' };

/** Handles one POST /webhook/{ns}/{channel} on plain node objects (app.ts routes to it without express). */
export type IngestHandler = (req: IncomingMessage, res: ServerResponse, ns: string, channelName: string) => Promise<void>;

const ACCEPTED_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

const WEBHOOK_PATH = /^\/webhook\/([^/?#]+)\/([^/?#]+)\/?(?:\?.*)?$/;

/** `{ns, channel}` of a `/webhook/{ns}/{channel}` request URL; undefined for anything else (or bad %-escapes). */
export function webhookPath(url: string | undefined): { ns: string; channel: string } | undefined {
  const m = url === undefined ? null : WEBHOOK_PATH.exec(url);
  if (!m) return undefined;
  try { return { ns: decodeURIComponent(m[1]), channel: decodeURIComponent(m[2]) }; } catch { return undefined; }
}

export function ingestHandler(deps: IngestDeps): IngestHandler {
  const { buffer, clock, logger, metrics, limiter } = deps;
  const meters = new WeakMap<object, ChannelMeters>();
  const metersOf = (ch: { namespace: string; name: string }, key: object): ChannelMeters => {
    let m = meters.get(key);
    if (!m) {
      const labels = { namespace: ch.namespace, channel: ch.name };
      m = { outcome: new Map(), duration: metrics.ingestDuration.labels(labels), confirm: metrics.publishConfirmDuration.labels(labels) };
      meters.set(key, m);
    }
    return m;
  };
  const count = (m: ChannelMeters, ch: { namespace: string; name: string }, outcome: IngestOutcome, started: number): void => {
    let c = m.outcome.get(outcome);
    if (!c) { c = metrics.ingestRequests.labels({ namespace: ch.namespace, channel: ch.name, outcome }); m.outcome.set(outcome, c); }
    c.inc();
    m.duration.observe((performance.now() - started) / 1000);
  };
  const fail = (res: ServerResponse, m: ChannelMeters, ch: { namespace: string; name: string }, code: ErrorCode, started: number, message?: string): void => {
    sendError(res, code, message);
    count(m, ch, code as IngestOutcome, started);
  };

  return async (req, res, ns, channelName) => {
    const started = performance.now();
    const ch = deps.snapshot().get(ns, channelName);
    const labels = ch ? ch.ref : UNKNOWN;
    const m = metersOf(labels, ch ?? UNKNOWN);
    if (!ch) { fail(res, m, labels, 'channel_not_found', started); return; }

    let body: Buffer;
    try {
      body = await readBody(req, ch.config.maxPayloadBytes);
    } catch (err) {
      res.setHeader('connection', 'close'); // stop reading an oversized or broken body
      fail(res, m, labels, err instanceof ReceiverError ? err.code : 'bad_request', started);
      return;
    }
    const now = clock();
    // The signature is checked first and a valid one always goes through: only failures are limited,
    // per channel and client, so nobody else's failures can block a provider that signs correctly.
    if (ch.verify && !ch.verify(req.headers, body, now)) {
      const limited = limiter.judge('ingest_signature', ch.key, clientAddress(req, deps.trusted)) === 'limited';
      if (limited) res.setHeader('connection', 'close');
      fail(res, m, labels, limited ? 'rate_limited' : 'invalid_signature', started);
      return;
    }
    try {
      const id = await accept(ch, req, body, now);
      const json = `{"id":"${id}"}`;
      res.writeHead(202, { ...ACCEPTED_HEADERS, 'content-length': json.length }).end(json);
      count(m, labels, 'accepted', started);
    } catch (err) {
      const code = err instanceof BufferError ? err.code : 'buffer_error';
      logger.warn({ channel: ch.key, code, err: err instanceof Error ? err.message : String(err) }, 'ingest not stored');
      fail(res, m, labels, code, started, err instanceof BufferError ? err.publicMessage : undefined);
    }
  };

  async function accept(ch: RuntimeChannel, req: IncomingMessage, body: Buffer, now: number): Promise<string> {
    const eventType = ch.eventTypeOf(req.headers, body);
    const routes = ch.routesFor(eventType);
    const contentType = req.headers['content-type'];
    const message: StoredMessage = {
      id: newMessageId(),
      channel: ch.ref,
      receivedAt: now,
      ...(eventType !== undefined && { eventType }),
      ...(contentType !== undefined && { contentType }),
      headers: relayHeaders(req.headers),
      traceparent: traceparentOf(req.headers),
      body,
    };
    if (routes.refs.length > 0) {
      const t0 = performance.now();
      await buffer.publish(message, routes.refs);
      metersOf(ch.ref, ch).confirm.observe((performance.now() - t0) / 1000);
    }
    buffer.recordEvent({ id: message.id, at: now, kind: 'received', channel: ch.key, subscriptions: routes.keys, ...(message.eventType !== undefined && { eventType: message.eventType }) });
    return message.id;
  }
}
