import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ServerErrorCode } from './codes.js';

/** docs/protocol.md is the single list of error codes; the client must know every one of them. */
describe('codes', () => {
  it('mirror every error code of docs/protocol.md', () => {
    const doc = readFileSync(fileURLToPath(new URL('../../../docs/protocol.md', import.meta.url)), 'utf8');
    const documented = new Set<string>();
    // Rows of the error tables start with the code(s): | `code` | or | `a`, `b`, `c` | …
    for (const line of doc.split('\n')) {
      const cell = /^\| ((?:`[a-z_]+`(?:, )?)+) \|/.exec(line)?.[1];
      for (const match of cell?.matchAll(/`([a-z_]+)`/g) ?? []) {
        if (match[1]) documented.add(match[1]);
      }
    }
    const known = new Set<string>(Object.values(ServerErrorCode));
    const missing = [...documented].filter((code) => !known.has(code));
    expect(missing).toEqual([]);
    expect(documented.size).toBeGreaterThan(15);
  });
});
