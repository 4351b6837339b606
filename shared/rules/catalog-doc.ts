/**
 * docs/rules.md, rendered from the catalog so the published table cannot drift from the code
 * (regenerate: UPDATE_DOCS=1 npx jest test/unit/rules/catalog.test.ts).
 */
import type { Rule } from './types';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function renderRulesMarkdown(rules: readonly Rule[]): string {
  const lines = [
    '# Preflight rules',
    '',
    'Generated from `shared/rules` (the catalog); do not edit by hand. Regenerate with `UPDATE_DOCS=1 npx jest test/unit/rules/catalog.test.ts`.',
    '',
    'A rule runs when the cluster\'s plan contains one of its steps (`ipam:overlay`, `dataplane:cilium`, `nap:disable`, `nap:enable`); a compliant cluster has no steps and gets no findings.',
    'Severity: `blocker` stops the cluster (no write is made), `warning` must be acknowledged, `info` is for the record. Findings cite their source as `document § section`;',
    'the documents are in `../shared/seeds` (newest wins; `000_*` is authoritative for update rules) and `aks-facts.md`.',
    '',
    '| id | severity | applies to | what it checks | source |',
    '|---|---|---|---|---|',
    ...rules.map((r) => `| \`${r.id}\` | ${r.severity} | ${r.appliesTo.map((s) => `\`${s}\``).join(', ')} | ${cell(r.title)} | ${cell(`${r.source.doc} § ${r.source.section}`)} |`),
    '',
    '## Where the documents disagree',
    '',
    'The newest document stands; each rule below says what the older one said.',
    '',
    ...rules.filter((r) => r.source.note).map((r) => `- \`${r.id}\`: ${r.source.note}`),
    '',
    '## Remediations',
    '',
    ...rules.map((r) => `- \`${r.id}\`: ${r.remediation}`),
    '',
  ];
  return lines.join('\n');
}
