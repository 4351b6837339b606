import { planPath } from '../../../shared/planning/path';
import { DATAPLANES, IPAM_MODES, NAP_MODES, POLICY_ENGINES, type Dataplane, type IpamMode } from '../../../shared/model/facts';
import { TARGETS, type Target } from '../../../shared/model/assessment';

/**
 * Expected paths, written out by hand from seed 000_c747be24177f73a8.txt (Supported migration paths;
 * Update considerations): [NAP Manual, NAP Auto]. '-' is the empty path (compliant).
 * O = ipam:overlay, C = dataplane:cilium, d = nap:disable, e = nap:enable.
 */
const EXPECTED: Record<IpamMode, Record<Dataplane, Record<Target, [string, string]>>> = {
  kubenet: {
    // kubenet can't go to Cilium directly: Overlay first (seed 000 § Data plane migration)
    azure: { overlay: ['O', 'O'], cilium: ['O C', 'O d C e'], 'overlay+cilium': ['O C', 'O d C e'] },
    cilium: { overlay: ['O', 'O'], cilium: ['-', '-'], 'overlay+cilium': ['O', 'O'] },
  },
  nodeSubnet: {
    azure: { overlay: ['O', 'O'], cilium: ['C', 'd C e'], 'overlay+cilium': ['O C', 'O d C e'] },
    cilium: { overlay: ['O', 'O'], cilium: ['-', '-'], 'overlay+cilium': ['O', 'O'] },
  },
  dynamicIp: {
    // Overlay isn't reachable from dynamic IP (a blocker says so) but the path still lists it.
    azure: { overlay: ['O', 'O'], cilium: ['C', 'd C e'], 'overlay+cilium': ['O C', 'O d C e'] },
    cilium: { overlay: ['O', 'O'], cilium: ['-', '-'], 'overlay+cilium': ['O', 'O'] },
  },
  overlay: {
    azure: { overlay: ['-', '-'], cilium: ['C', 'd C e'], 'overlay+cilium': ['C', 'd C e'] },
    cilium: { overlay: ['-', '-'], cilium: ['-', '-'], 'overlay+cilium': ['-', '-'] },
  },
};
/**
 * Node subnet with Azure NPM or Calico to overlay+cilium: Cilium first, because it replaces the policy engine
 * that Overlay refuses (seed 000 § Update considerations: either order; § Update the IPAM mode: no engine).
 */
const CILIUM_FIRST: [string, string] = ['C O', 'd C e O'];
function expected(ipam: IpamMode, dataplane: Dataplane, networkPolicy: string, target: Target): [string, string] {
  if (ipam === 'nodeSubnet' && dataplane === 'azure' && (networkPolicy === 'azure' || networkPolicy === 'calico') && target === 'overlay+cilium') return CILIUM_FIRST;
  return EXPECTED[ipam][dataplane][target];
}
const LETTERS: Record<string, string> = { O: 'ipam:overlay', C: 'dataplane:cilium', d: 'nap:disable', e: 'nap:enable' };
const steps = (s: string) => (s === '-' ? [] : s.split(' ').map((l) => LETTERS[l]));

const cases = IPAM_MODES.flatMap((ipam) =>
  DATAPLANES.flatMap((dataplane) => POLICY_ENGINES.flatMap((networkPolicy) => NAP_MODES.flatMap((nap) => TARGETS.map((target) => ({ ipam, dataplane, networkPolicy, nap, target }))))),
);

describe('planPath', () => {
  it('covers every IPAM × data plane × policy × NAP × target combination', () => {
    expect(cases).toHaveLength(4 * 2 * 4 * 2 * 3);
  });

  it.each(cases)('$ipam/$dataplane/$networkPolicy/NAP $nap → $target', ({ ipam, dataplane, networkPolicy, nap, target }) => {
    const [manual, auto] = expected(ipam, dataplane, networkPolicy, target);
    expect(planPath({ ipam, dataplane, networkPolicy, nap }, target)).toEqual(steps(nap === 'Auto' ? auto : manual));
  });

  it('never puts IPAM and data plane into one step, and never wraps ipam:overlay in NAP steps', () => {
    for (const c of cases) {
      const p = planPath(c, c.target);
      expect(new Set(p).size).toBe(p.length);
      const i = p.indexOf('nap:disable');
      if (i >= 0) expect(p.slice(i, i + 3)).toEqual(['nap:disable', 'dataplane:cilium', 'nap:enable']);
    }
  });
});
