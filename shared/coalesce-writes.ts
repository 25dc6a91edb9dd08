// Fewer, larger socket writes. A stream pushes one frame per message (and a connector one frame per ack),
// and `ws` writes every frame with its own writev: on loopback and in a pod network each syscall costs
// far more than the bytes it carries. Corking the socket on the first frame of an event-loop turn and
// uncorking it once the turn's I/O callbacks have run (setImmediate) sends every frame of that turn in
// one writev. Nothing waits longer than the rest of the current turn, and nothing is reordered.
import type { Writable } from 'node:stream';

/** Returns `hold()`: call it before each write; the writes of this turn then leave together. */
export function coalesceWrites(socket: Writable): () => void {
  let held = false;
  const release = (): void => {
    held = false;
    if (!socket.destroyed) socket.uncork();
  };
  return () => {
    if (held || socket.destroyed || !socket.writable) return;
    held = true;
    socket.cork();
    setImmediate(release);
  };
}
