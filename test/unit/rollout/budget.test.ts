import { acceptFailures, budgetHalt, budgetLeft, budgetLimits, emptyBudgetState, recordFailure } from '../../../shared/rollout/budget';

describe('failure budget', () => {
  it('fails fast when no budget is given', () => {
    const limits = budgetLimits({}, 100, { canary: 10, rest: 90 });
    expect(limits.total).toBe(0);
    const s = recordFailure(emptyBudgetState(), 'canary');
    expect(budgetHalt(limits, s, 'canary')).toBe('total failure budget spent: 1 failed, 0 allowed');
  });

  it('resolves percentages of all clusters (total) and of the stage (perStage), rounding down', () => {
    const limits = budgetLimits({ failureBudget: { total: '5%', perStage: '10%' } }, 200, { canary: 10, rest: 190 });
    expect(limits).toEqual({ total: 10, perStage: { canary: 1, rest: 19 } });
  });

  it('halts when a stage spends its own budget even with total budget left', () => {
    const limits = budgetLimits({ failureBudget: { perStage: 1, total: 10 } }, 100, { canary: 10 });
    let s = recordFailure(emptyBudgetState(), 'canary');
    expect(budgetHalt(limits, s, 'canary')).toBeUndefined();
    s = recordFailure(s, 'canary');
    expect(budgetHalt(limits, s, 'canary')).toBe("failure budget of stage 'canary' spent: 2 failed, 1 allowed");
    expect(budgetLeft(limits, s)).toBe(8);
  });

  it('after resume the failures so far are accepted and the next one halts again', () => {
    const limits = budgetLimits({ failureBudget: { total: 0 } }, 10, { all: 10 });
    let s = recordFailure(emptyBudgetState(), 'all');
    expect(budgetHalt(limits, s, 'all')).toBeDefined();
    s = acceptFailures(s, 'all');
    expect(budgetHalt(limits, s, 'all')).toBeUndefined();
    s = recordFailure(s, 'all');
    expect(budgetHalt(limits, s, 'all')).toBe('total failure budget spent: 2 failed, 0 allowed');
  });

  it('has no limit for a level the spec leaves out', () => {
    const limits = budgetLimits({ failureBudget: { perStage: 2 } }, 100, { all: 100 });
    expect(limits.total).toBeUndefined();
    let s = emptyBudgetState();
    for (let i = 0; i < 2; i++) s = recordFailure(s, 'all');
    expect(budgetHalt(limits, s, 'all')).toBeUndefined();
    expect(budgetLeft(limits, s)).toBeUndefined();
  });
});
