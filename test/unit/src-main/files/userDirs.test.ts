import { test } from 'node:test';
import assert from 'node:assert/strict';
import { documentsFromUserDirs } from '../../../../src-main/files/userDirs.js';

test('the Documents folder as xdg-user-dirs names it', () => {
  const file = '# written by xdg-user-dirs-update\nXDG_DESKTOP_DIR="$HOME/Desktop"\nXDG_DOCUMENTS_DIR="$HOME/Dokumente"\n';
  assert.equal(documentsFromUserDirs(file, '/home/ana'), '/home/ana/Dokumente');
  assert.equal(documentsFromUserDirs('XDG_DOCUMENTS_DIR="/data/docs"', '/home/ana'), '/data/docs');
  assert.equal(documentsFromUserDirs('XDG_DOCUMENTS_DIR="$HOME/"', '/home/ana'), null, '"$HOME/" means none');
  assert.equal(documentsFromUserDirs('XDG_DOCUMENTS_DIR="relative"', '/home/ana'), null);
  assert.equal(documentsFromUserDirs('XDG_MUSIC_DIR="$HOME/Music"', '/home/ana'), null);
});
