/**
 * What this connection may do, as channel patterns (docs/protocol.md, "Authentication": `*` matches any
 * run of characters). The server does not announce them yet (see web/README.md, "Server additions"):
 * until it does, `Permissions` is undefined and the page offers everything and explains refusals.
 */
export interface Permissions {
  readonly subscribe: readonly string[];
  readonly publish: readonly string[];
}

/** Whether `channel` matches one channel pattern. */
export function matchesPattern(pattern: string, channel: string): boolean {
  if (!pattern.includes('*')) return pattern === channel;
  const parts = pattern.split('*');
  const first = parts[0] ?? '';
  const last = parts[parts.length - 1] ?? '';
  if (!channel.startsWith(first) || channel.length < first.length + last.length || !channel.endsWith(last)) return false;
  // Greedy left-to-right over the middle parts is exact for patterns whose only wildcard is `*`.
  let at = first.length;
  const end = channel.length - last.length;
  for (const part of parts.slice(1, -1)) {
    const found = channel.indexOf(part, at);
    if (found < 0 || found + part.length > end) return false;
    at = found + part.length;
  }
  return true;
}

export function allows(patterns: readonly string[], channel: string): boolean {
  return patterns.some((p) => matchesPattern(p, channel));
}

/**
 * Whether joining a channel by name is worth offering: some pattern allows more than the channels
 * already joined (a wildcard, or a literal name not joined yet).
 */
export function canJoinMore(permissions: Permissions, joined: readonly string[]): boolean {
  return permissions.subscribe.some((p) => p.includes('*') || !joined.includes(p));
}

/** Reads `permissions` from a server frame; undefined unless both lists are arrays of strings. */
export function parsePermissions(value: unknown): Permissions | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const list = (v: unknown) => (Array.isArray(v) && v.every((p) => typeof p === 'string') ? (v as string[]) : undefined);
  const subscribe = list(record['subscribe']);
  const publish = list(record['publish']);
  return subscribe && publish ? { subscribe, publish } : undefined;
}
