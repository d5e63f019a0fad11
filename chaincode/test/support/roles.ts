import type { Test } from 'tap';
import { ALL_ROLES, byRole, cast, refused, type Actor, type Cast } from './world';

export type Role = (typeof ALL_ROLES)[number];

/** One transaction, the roles that may call it, and a fixture giving each caller its arguments. */
export interface RoleSpec {
  fn: string;
  allowed: Role[];
  /** per-spec fixture; returns the arguments for a caller */
  prepare: (c: Cast) => Promise<(caller: Actor) => string[]>;
}

/**
 * Each transaction called by one registered identity of every role and by a stranger: every role
 * not allowed is refused with FORBIDDEN and changes nothing; the allowed roles succeed.
 */
export async function everyRole(t: Test, specs: readonly RoleSpec[]): Promise<void> {
  for (const spec of specs) {
    await t.test(spec.fn, async (t) => {
      const c = await cast();
      const argsFor = await spec.prepare(c);
      const actors = byRole(c);
      // Refusals first, so the one allowed change does not alter what the others see.
      for (const role of ALL_ROLES.filter((r) => !spec.allowed.includes(r))) {
        await refused(t, c.w, actors[role], spec.fn, argsFor(actors[role]), 'FORBIDDEN');
      }
      await refused(t, c.w, c.stranger, spec.fn, argsFor(c.stranger), 'FORBIDDEN');
      for (const role of spec.allowed) {
        const res = await c.w.call(actors[role], spec.fn, argsFor(actors[role]), true);
        t.equal(res.status, 200, `${spec.fn} by ${role}: ${res.message}`);
        // Later allowed callers of a state change would hit CONFLICT; one success per change is enough.
        if (spec.allowed.length === 1) break;
      }
    });
  }
}
