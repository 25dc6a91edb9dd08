// `--rabbitmq-url` values: one broker URL or a cluster's nodes, comma-separated. No amqplib here, so the
// receiver's flag check does not load it for the memory buffer.

/**
 * The broker URLs in a `--rabbitmq-url` value: one URL, or several separated by commas (a cluster's
 * nodes; a comma inside a password must then be written %2C). Surrounding spaces and empty entries are
 * ignored; each entry must be an amqp:// or amqps:// URL.
 */
export function parseBrokerUrls(value: string): string[] {
  const urls = value.split(',').map((u) => u.trim()).filter(Boolean);
  if (urls.length === 0) throw new Error('no RabbitMQ URL given');
  for (const u of urls) {
    let proto: string;
    try { proto = new URL(u).protocol; } catch { throw new Error(`not a URL: ${redact(u)}`); }
    if (proto !== 'amqp:' && proto !== 'amqps:') throw new Error(`not an amqp:// or amqps:// URL: ${redact(u)}`);
  }
  return urls;
}

/** host:port, for logs: a node's name without the credentials. */
export function nodeOf(url: string): string {
  try { const u = new URL(url); return `${u.hostname}:${u.port || (u.protocol === 'amqps:' ? 5671 : 5672)}`; } catch { return '?'; }
}

const redact = (u: string): string => u.replace(/\/\/[^@/]*@/, '//***@');
