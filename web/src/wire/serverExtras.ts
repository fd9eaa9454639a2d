/**
 * Fields that newer servers add to frames the client already knows, read from the raw frame because the
 * client ignores unknown fields. Each is optional: a server without it simply leaves the feature off
 * (web/README.md, "Server additions").
 */
import { parsePermissions, type Permissions } from '../access/permissions';

export type ServerExtras =
  | {
      readonly type: 'welcome';
      /** The server's clock when it wrote the frame (ms since the epoch). */
      readonly time: number | undefined;
      readonly permissions: Permissions | undefined;
      /** The token's user (`sub`); null for an anonymous connection; undefined when not said. */
      readonly user: string | null | undefined;
    }
  | { readonly type: 'ack'; readonly id: string; readonly time: number | undefined }
  | { readonly type: 'authenticated'; readonly permissions: Permissions | undefined };

/** Parses an ISO-8601 time, keeping sub-millisecond digits (the server writes microseconds). */
export function parseServerTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return undefined;
  // Date.parse drops digits after the milliseconds; add them back (as a fraction of a millisecond).
  const extra = /\.\d{3}(\d+)/.exec(value)?.[1];
  return extra === undefined ? ms : ms + Number(`0.${extra}`);
}

/** Extras of one inbound frame, or undefined for frames without any (publications are skipped unparsed). */
export function readExtras(raw: string): ServerExtras | undefined {
  // Publications are most of the traffic and carry nothing extra: skip them without parsing.
  if (raw.startsWith('{"type":"pub"')) return undefined;
  let frame: unknown;
  try {
    frame = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof frame !== 'object' || frame === null) return undefined;
  const d = frame as Record<string, unknown>;
  switch (d['type']) {
    case 'welcome': {
      const user = d['user'];
      return {
        type: 'welcome',
        time: parseServerTime(d['time']),
        permissions: parsePermissions(d['permissions']),
        user: typeof user === 'string' || user === null ? user : undefined,
      };
    }
    case 'ack':
      return typeof d['id'] === 'string' ? { type: 'ack', id: d['id'], time: parseServerTime(d['time']) } : undefined;
    case 'authenticated':
      return { type: 'authenticated', permissions: parsePermissions(d['permissions']) };
    default:
      return undefined;
  }
}
