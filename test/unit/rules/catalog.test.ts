import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { STEPS, SEVERITIES } from '../../../shared/model/assessment';
import { catalog } from '../../../shared/rules';
import { renderRulesMarkdown } from '../../../shared/rules/catalog-doc';

const DOC = join(__dirname, '../../../docs/rules.md');
// The source documents live beside the repository (../shared/seeds), as docs/architecture.md says.
const SEED_DIR = join(__dirname, '../../../../shared/seeds');

describe('rule catalog', () => {
  if (process.env.UPDATE_DOCS === '1') writeFileSync(DOC, renderRulesMarkdown(catalog));

  it('ids are unique and stable-looking (module.kebab-case)', () => {
    const ids = catalog.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z]+\.[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it('every rule has a severity, steps, a title, a remediation and a source', () => {
    for (const r of catalog) {
      expect(SEVERITIES).toContain(r.severity);
      expect(r.appliesTo.length).toBeGreaterThan(0);
      for (const s of r.appliesTo) expect(STEPS).toContain(s);
      expect(r.title.length).toBeGreaterThan(5);
      expect(r.remediation.length).toBeGreaterThan(20);
      expect(r.source.section.length).toBeGreaterThan(3);
    }
  });

  it('seed-sourced rules cite a seed file that exists and whose text has the cited section heading', () => {
    let seedRules = 0;
    for (const r of catalog.filter((x) => /^\d{3}_/.test(x.source.doc))) {
      seedRules++;
      const text = readFileSync(join(SEED_DIR, r.source.doc), 'utf8');
      // Sections may be given as 'Heading › Sub-heading': each part is a heading (or FAQ question) of the document.
      for (const part of r.source.section.split(' › ')) expect({ rule: r.id, part, found: text.includes(part) }).toEqual({ rule: r.id, part, found: true });
    }
    expect(seedRules).toBeGreaterThan(20);
  });

  it('rules sourced from aks-facts.md cite one of its section headings', () => {
    const facts = readFileSync(join(SEED_DIR, '../docs/aks-facts.md'), 'utf8');
    const headings = facts.split('\n').filter((l) => l.startsWith('## ')).map((l) => l.slice(3).trim());
    for (const r of catalog.filter((x) => x.source.doc === 'aks-facts.md')) expect({ rule: r.id, section: r.source.section, found: headings.includes(r.source.section) }).toEqual({ rule: r.id, section: r.source.section, found: true });
  });

  it('rules sourced from aksnet\'s own docs cite one of their headings', () => {
    for (const r of catalog.filter((x) => x.source.doc.startsWith('docs/'))) {
      const headings = readFileSync(join(__dirname, '../../..', r.source.doc), 'utf8').split('\n').filter((l) => l.startsWith('## ')).map((l) => l.slice(3).trim());
      expect({ rule: r.id, found: headings.includes(r.source.section) }).toEqual({ rule: r.id, found: true });
    }
  });

  it('docs/rules.md lists every rule with its severity and steps', () => {
    const doc = readFileSync(DOC, 'utf8');
    for (const r of catalog) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${r.id}\` |`));
      expect({ id: r.id, row: row !== undefined }).toEqual({ id: r.id, row: true });
      expect(row).toContain(`| ${r.severity} |`);
      for (const s of r.appliesTo) expect(row).toContain(`\`${s}\``);
    }
  });
});
