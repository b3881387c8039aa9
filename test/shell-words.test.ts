import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shellQuote, splitShellWords } from '../lib/shell-words.js';

test('splitShellWords splits as sh does, without expanding anything', () => {
  assert.deepEqual(splitShellWords(`  -a 'b c' "d \\"e\\" \\$f" g\\ h $HOME * ''  `), { words: ['-a', 'b c', 'd "e" $f', 'g h', '$HOME', '*', ''] });
  assert.deepEqual(splitShellWords(`a"b"'c'd`), { words: ['abcd'] });
  assert.deepEqual(splitShellWords(`"a\\nb"`), { words: ['a\\nb'] });
  assert.deepEqual(splitShellWords(''), { words: [] });
  assert.deepEqual(splitShellWords(`a 'b`), { problem: "unterminated ' at character 3" });
  assert.deepEqual(splitShellWords(`a "b\\"`), { problem: 'unterminated " at character 3' });
});

test('shellQuote quotes what sh would change, and splitShellWords reads it back', () => {
  const words = ['eth0', '10.1.1.1', '--dir', 'host 10.0.0.5', "it's", '', '$(reboot)', 'a"b'];
  assert.deepEqual(words.map(shellQuote), ['eth0', '10.1.1.1', '--dir', "'host 10.0.0.5'", `'it'\\''s'`, "''", "'$(reboot)'", `'a"b'`]);
  assert.deepEqual(splitShellWords(words.map(shellQuote).join(' ')), { words });
});
