/**
 * docs/architecture.md and the README's map against the tree: every folder of src/ is described
 * in both, and every path they name exists.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { REPO } from '../../support/railyard-process.ts';

const SRC = join(REPO, 'src');
const folders = readdirSync(SRC).filter((f) => statSync(join(SRC, f)).isDirectory());
const architecture = readFileSync(join(REPO, 'docs/architecture.md'), 'utf8');
const readme = readFileSync(join(REPO, 'README.md'), 'utf8');

describe('docs/architecture.md', () => {
  test('describes every folder of src/', () => {
    for (const f of folders) expect(architecture, f).toContain(`\`src/${f}/\``);
  });

  test('names only paths that exist', () => {
    const named = [...architecture.matchAll(/`((?:src|test|docs|crds|bench)\/[^`\s]*)`/g)].map(
      (m) => m[1] as string,
    );
    expect(named.length).toBeGreaterThan(20);
    for (const path of named) expect(existsSync(join(REPO, path)), path).toBe(true);
  });
});

describe("the README's map", () => {
  test('names every folder of src/', () => {
    const map = readme.slice(readme.indexOf('### Source (`src/`)'), readme.indexOf('### Other folders'));
    for (const f of folders) expect(map, f).toContain(`\`${f}/\``);
  });

  test('links only documents that exist', () => {
    const links = [
      ...readme.matchAll(/\]\(((?:docs|bench|examples|templates|crds|manifests|test|bin)[^)#]*)/g),
    ].map((m) => m[1] as string);
    expect(links.length).toBeGreaterThan(5);
    for (const link of links) expect(existsSync(join(REPO, link)), link).toBe(true);
  });
});
