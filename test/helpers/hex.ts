import assert from 'node:assert/strict';

/** Annotated hex for golden bytes: `#` starts a comment, whitespace is ignored. */
export function hex(text: string): Buffer {
  const digits = text.replace(/#.*$/gm, '').replace(/\s+/g, '');
  assert.match(digits, /^(?:[0-9a-f]{2})*$/i, 'test fixture is not whole hex bytes');
  return Buffer.from(digits, 'hex');
}
