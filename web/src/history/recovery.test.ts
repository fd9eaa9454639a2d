import { describe, expect, it } from 'vitest';
import { nothingLost, resumeNotice, type GapCheck } from './recovery';

const check = (over: Partial<GapCheck> = {}): GapCheck => ({ graceful: true, epochChanged: true, complete: true, added: 0, ...over });

describe('resumeNotice', () => {
  it('claims no loss after a graceful restart whose new epoch was read whole', () => {
    const checks = new Map([
      ['events', check()],
      ['room', check({ added: 2 })],
    ]);
    expect(resumeNotice({ unrecovered: ['events', 'room'], missed: 0 }, checks)).toEqual({ kind: 'recovered', missed: 2 });
    expect(resumeNotice({ unrecovered: ['events'], missed: 0 }, new Map([['events', check()]]))).toBeUndefined();
  });

  it('keeps the loss notice whenever a loss is possible', () => {
    const cases: GapCheck[] = [
      check({ graceful: false }), // kill -9, a network cut, a manual disconnect
      check({ epochChanged: false }), // the same epoch, but the history no longer reaches back
      check({ complete: false }), // the new epoch's history was not whole
    ];
    for (const c of cases) {
      expect(nothingLost(c)).toBe(false);
      expect(resumeNotice({ unrecovered: ['events', 'room'], missed: 3 }, new Map([['events', check()], ['room', c]]))).toEqual({
        kind: 'unrecovered',
        channels: ['room'],
      });
    }
    // Not checked at all (the history request failed).
    expect(resumeNotice({ unrecovered: ['events'], missed: 0 }, new Map())).toEqual({ kind: 'unrecovered', channels: ['events'] });
  });

  it('sums replayed and filled publications', () => {
    expect(resumeNotice({ unrecovered: [], missed: 12 }, new Map())).toEqual({ kind: 'recovered', missed: 12 });
    expect(resumeNotice({ unrecovered: ['a'], missed: 1 }, new Map([['a', check({ added: 4 })]]))).toEqual({ kind: 'recovered', missed: 5 });
    expect(resumeNotice({ unrecovered: [], missed: 0 }, new Map())).toBeUndefined();
  });
});
