import { describe, expect, it } from 'vitest';
import { allows, canJoinMore, matchesPattern, parsePermissions } from './permissions';

describe('channel patterns', () => {
  it('matches literal names exactly', () => {
    expect(matchesPattern('events', 'events')).toBe(true);
    expect(matchesPattern('events', 'events2')).toBe(false);
    expect(matchesPattern('events', 'event')).toBe(false);
  });

  it('lets * match any run of characters, including none', () => {
    expect(matchesPattern('*', 'anything/at:all')).toBe(true);
    expect(matchesPattern('room:*', 'room:')).toBe(true);
    expect(matchesPattern('room:*', 'room:42')).toBe(true);
    expect(matchesPattern('room:*', 'rooms:42')).toBe(false);
    expect(matchesPattern('*.log', 'app.log')).toBe(true);
    expect(matchesPattern('*.log', 'app.logs')).toBe(false);
    expect(matchesPattern('a*b*c', 'aXbYc')).toBe(true);
    expect(matchesPattern('a*b*c', 'ac')).toBe(false);
    expect(matchesPattern('ab*ba', 'aba')).toBe(false);
  });

  it('allows a channel when any pattern matches', () => {
    expect(allows(['events', 'room:*'], 'room:1')).toBe(true);
    expect(allows(['events'], 'room-2')).toBe(false);
    expect(allows([], 'events')).toBe(false);
  });

  it('offers joining only when a pattern allows more than what is joined', () => {
    expect(canJoinMore({ subscribe: ['events'], publish: ['events'] }, ['events'])).toBe(false);
    expect(canJoinMore({ subscribe: ['events', 'news'], publish: [] }, ['events'])).toBe(true);
    expect(canJoinMore({ subscribe: ['room:*'], publish: [] }, ['events'])).toBe(true);
    expect(canJoinMore({ subscribe: [], publish: [] }, [])).toBe(false);
  });

  it('parses the permissions object, refusing anything else', () => {
    expect(parsePermissions({ subscribe: ['events'], publish: [] })).toEqual({ subscribe: ['events'], publish: [] });
    expect(parsePermissions(undefined)).toBeUndefined();
    expect(parsePermissions({ subscribe: 'events', publish: [] })).toBeUndefined();
    expect(parsePermissions({ subscribe: [1], publish: [] })).toBeUndefined();
  });
});
