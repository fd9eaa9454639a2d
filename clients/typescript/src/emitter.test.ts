import { describe, expect, it, vi } from 'vitest';
import { Emitter } from './emitter.js';

describe('Emitter', () => {
  it('delivers to listeners until they unsubscribe', () => {
    const e = new Emitter<{ n: number }>();
    const got: number[] = [];
    const off = e.on('n', (n) => got.push(n));
    e.emit('n', 1);
    off();
    e.emit('n', 2);
    expect(got).toEqual([1]);
  });

  it('a throwing listener does not stop the others', () => {
    const e = new Emitter<{ n: number }>();
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    const got: number[] = [];
    e.on('n', () => {
      throw new Error('boom');
    });
    e.on('n', (n) => got.push(n));
    e.emit('n', 3);
    expect(got).toEqual([3]);
    expect(spy).toHaveBeenCalledOnce();
    spy.mockRestore();
  });
});
