/**
 * The docs stand alone: every relative link in the repository's Markdown points to a file the
 * repository carries (never outside it, as `../shared/...` once did), and every `#anchor` to a
 * heading of its target, slugged as GitHub slugs them.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import GithubSlugger from 'github-slugger';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith('.md') ? [path] : [];
  });
}

const FILES = [
  ...readdirSync(ROOT)
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(ROOT, name)),
  ...markdownFiles(join(ROOT, 'docs')),
];

/** Inline links and images, outside fenced code blocks and code spans. */
function linksOf(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, (span) => ' '.repeat(span.length));
  const links: string[] = [];
  // [text](target) where the text may itself be a code span, already blanked above.
  for (const match of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) links.push(match[1] as string);
  return links;
}

function anchorsOf(markdown: string): Set<string> {
  const slugger = new GithubSlugger();
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '');
  const anchors = new Set<string>();
  for (const match of prose.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) anchors.add(slugger.slug(match[1] as string));
  return anchors;
}

describe('links in the docs', () => {
  it('finds the Markdown files and their links', () => {
    const names = FILES.map((file) => relative(ROOT, file));
    expect(names).toEqual(expect.arrayContaining(['README.md', 'CONTRIBUTING.md', 'docs/api.md']));
    expect(linksOf('see [`a`](x.md#b) and ![i](y.png "t"), not `[c](z.md)`')).toEqual(['x.md#b', 'y.png']);
  });

  it.each(FILES.map((file) => [relative(ROOT, file), file]))(
    '%s links only to files in the repository, and to headings that exist',
    (_, file) => {
      const text = readFileSync(file, 'utf8');
      const broken: string[] = [];
      for (const link of linksOf(text)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // http:, https:, mailto: are outside by design
        const [path = '', anchor] = link.split('#');
        const target = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
        const inside = relative(ROOT, target);
        if (inside.startsWith('..') || inside.startsWith('/')) broken.push(`${link}: outside the repository`);
        else if (!existsSync(target)) broken.push(`${link}: no such file`);
        else if (anchor !== undefined && target.endsWith('.md') && !anchorsOf(readFileSync(target, 'utf8')).has(anchor))
          broken.push(`${link}: no such heading`);
      }
      expect(broken).toEqual([]);
    },
  );
});
