/**
 * The cap on a spec's stages (shared/rollout/spec.ts MAX_STAGES): the rollout's custom status lists every stage, and
 * Azure refuses custom status over 16 KB (functions/contracts.ts RolloutReport), so a spec with more stages than fit is
 * refused up front, by field path, rather than failing the orchestration half-way.
 */
import type { RolloutReport } from '../../../functions/contracts';
import { MAX_STAGES, parseRolloutSpec, RolloutSpecError, rolloutSpecJsonSchema, validateRolloutSpec } from '../../../shared/rollout/spec';

const SUB = '00000000-0000-0000-0000-000000000001';
const spec = (stages: number): unknown => ({
  name: 'many',
  target: 'cilium',
  selector: { subscriptions: [SUB] },
  stages: Array.from({ length: stages }, (_, i) => ({ name: `stage-${i}`, count: 1, maxConcurrency: 1 })),
});

it(`accepts ${MAX_STAGES} stages and refuses one more, naming the field and the way out`, () => {
  expect(validateRolloutSpec(spec(MAX_STAGES)).stages).toHaveLength(MAX_STAGES);
  let error: unknown;
  try {
    parseRolloutSpec(JSON.stringify(spec(MAX_STAGES + 1)), 'many.json');
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(RolloutSpecError);
  expect((error as RolloutSpecError).problems).toEqual([`stages: at most ${MAX_STAGES} stages: the rollout's status lists every stage and must stay under 16 KB; merge stages (percent, count) or split the fleet into several rollouts`]);
  // The published JSON Schema says the same.
  expect((rolloutSpecJsonSchema() as { properties: { stages: { maxItems?: number } } }).properties.stages.maxItems).toBe(MAX_STAGES);
});

it(`the custom status of a ${MAX_STAGES}-stage rollout of 10,000 clusters stays under 16 KB at its largest`, () => {
  // Every field at its longest: stage names of 63 characters (the spec's limit), five-digit sizes and counts in every
  // outcome, a halt reason and a window, a rollout name of 80 characters.
  const counts = { migrated: 10_000, compliant: 10_000, blocked: 10_000, failed: 10_000, skipped: 10_000, cancelled: 10_000 };
  const worst: RolloutReport = {
    id: `${'n'.repeat(80)}-20261121T193005Z-a1b2c3`,
    name: 'n'.repeat(80),
    status: 'waitingForApproval',
    target: 'overlay+cilium',
    total: 10_000,
    byVerdict: { ready: 10_000, blocked: 10_000, compliant: 10_000 },
    counts,
    stages: Array.from({ length: MAX_STAGES }, (_, i) => ({ name: `${String(i).padStart(2, '0')}${'s'.repeat(61)}`, size: 10_000, counts, state: 'running' as const })),
    currentStage: 's'.repeat(63),
    running: 1000,
    failureBudgetLeft: 10_000,
    stageFailureBudgetLeft: 10_000,
    haltReason: 'total failure budget spent: 10000 failed, 10000 allowed',
    waitingUntil: '2026-11-21T19:30:05.000Z',
    startedAt: '2026-11-21T19:30:05.000Z',
    updatedAt: '2026-11-21T19:30:05.000Z',
  };
  expect(Buffer.byteLength(JSON.stringify(worst))).toBeLessThan(16 * 1024);
});
