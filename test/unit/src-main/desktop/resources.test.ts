// resources/ holds what the desktop is told about Hangar: set-up installs the desktop entry and MIME
// file for a checkout; electron-builder.yml says the same for the packaged app (it cannot read them).
// These checks keep the three in step.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../../helpers/paths.js';
import { desktopEntryValue, entryMimeTypes, parseExec } from '../../../../src-main/desktop/integration.js';

const read = (p: string) => readFileSync(join(repoRoot, p), 'utf8');
const entry = read('resources/hangar.desktop');
const mimeXml = read('resources/hangar-mime.xml');
const builder = read('electron-builder.yml');

/** `mimeType: X` of fileAssociations, and `mimeTypes: [...]` of linux, read line by line. */
function builderTypes(): { associations: string[]; linux: string[] } {
  const associations = [...builder.matchAll(/^\s+mimeType:\s*(\S+)\s*$/gm)].map((m) => m[1]!);
  const linux = /^\s+mimeTypes:\s*\[([^\]]*)\]/m.exec(builder)?.[1]?.split(',').map((s) => s.trim()).filter(Boolean) ?? [];
  return { associations, linux };
}

describe('resources/ and electron-builder.yml agree', () => {
  test('the entry runs `hangar open %f` (one file per launch), with the icon set-up installs', () => {
    assert.deepEqual(parseExec(desktopEntryValue(entry, 'Exec')!), ['hangar', 'open', '%f']);
    assert.equal(desktopEntryValue(entry, 'Icon'), 'hangar');
    assert.ok(existsSync(join(repoRoot, 'resources', 'icon.png')));
  });

  test('the types the entry opens are the ones the packaged app registers', () => {
    const { associations, linux } = builderTypes();
    assert.deepEqual(new Set(entryMimeTypes(entry)), new Set([...associations, ...linux]));
  });

  test('the MIME file defines exactly the types the packaged app defines, each with its glob', () => {
    const defined = [...mimeXml.matchAll(/<mime-type type="([^"]+)">/g)].map((m) => m[1]!);
    assert.deepEqual(defined, builderTypes().associations);
    assert.match(mimeXml, /<mime-type type="application\/x-virtualbox-ovf">[\s\S]*<glob pattern="\*\.ovf"\/>/);
    // .ova is shared-mime-info's own: defining it again would make two types for one extension
    assert.doesNotMatch(mimeXml, /\*\.ova/);
  });
});
