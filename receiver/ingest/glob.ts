// Event-type globs (SPEC §2 Subscription.eventTypes): `*` matches any run of characters, everything else
// is literal; an empty list matches every event, including messages that carry no type.
export type EventTypeMatcher = (eventType: string | undefined) => boolean;

const escape = (s: string): string => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

export function globToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map(escape).join('.*')}$`, 's');
}

export function eventTypeMatcher(patterns: readonly string[]): EventTypeMatcher {
  if (patterns.length === 0 || patterns.includes('*')) return () => true;
  const res = patterns.map(globToRegExp);
  return (t) => t !== undefined && res.some((re) => re.test(t));
}
