// One socket write per batch of AMQP frames. amqplib's muxer moves frames from its channels to the socket
// once per setImmediate, but writes them one by one: under load (many publishes and acks per tick) that is
// one syscall, one TCP segment and one broker wake-up per frame. Corking the socket around the muxer's
// flush hands the kernel the whole batch in one writev. This reaches into amqplib internals
// (`connection.muxer._readIncoming`, `connection.stream`) as of amqplib 2.3.x; if their shape differs,
// nothing is patched and amqplib writes as before.
import type { ChannelModel } from 'amqplib';

interface Internals {
  connection?: {
    muxer?: { _readIncoming?: () => void };
    stream?: { cork?: () => void; uncork?: () => void };
  };
}

/** Patches one connection; returns whether it could. */
export function corkMuxWrites(model: ChannelModel): boolean {
  const conn = (model as unknown as Internals).connection;
  const mux = conn?.muxer;
  const stream = conn?.stream;
  if (!mux || typeof mux._readIncoming !== 'function' || typeof stream?.cork !== 'function' || typeof stream.uncork !== 'function') return false;
  const flush = mux._readIncoming.bind(mux);
  mux._readIncoming = () => {
    stream.cork?.();
    try { flush(); } finally { stream.uncork?.(); }
  };
  return true;
}
