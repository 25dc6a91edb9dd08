// Posting webhooks like a provider: one at a time, or continuously in the background (one request after
// another, paced) while something else happens, remembering the id of every 202.
export interface Posted { status: number; id?: string; body: string }

export async function postWebhook(url: string, body: Buffer | string, contentType: string, headers: Record<string, string> = {}): Promise<Posted> {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': contentType, ...headers } });
  const text = await res.text();
  let id: string | undefined;
  try { id = (JSON.parse(text) as { id?: string }).id; } catch { /* not JSON */ }
  return { status: res.status, id, body: text };
}

export class ContinuousPoster {
  /** Ids of accepted (202) webhooks with the body that was sent. */
  readonly accepted = new Map<string, Buffer>();
  /** Any answer other than 202 (and network errors, as status 0). */
  readonly refused: Posted[] = [];
  #stopped = false;
  #loop?: Promise<void>;

  /** `makeBody(n)` gives the n-th body; `gapMs` paces the requests. */
  start(url: string, makeBody: (n: number) => Buffer, gapMs = 25): this {
    this.#loop = (async () => {
      for (let n = 0; !this.#stopped; n++) {
        const body = makeBody(n);
        const r = await postWebhook(url, body, 'application/json').catch((err: Error): Posted => ({ status: 0, body: err.message }));
        if (r.status === 202 && r.id) this.accepted.set(r.id, body);
        else this.refused.push(r);
        await new Promise((resolve) => setTimeout(resolve, gapMs));
      }
    })();
    return this;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }
}
