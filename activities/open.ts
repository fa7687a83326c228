import type { ClassifyArgs, Classification } from './classify';
import type { Plan } from './plan';
import type { Recipients } from './recipients';

/** How long scoring may take before the declared severity stands (scoring never blocks paging). */
export const CLASSIFY_BUDGET_MS = 5_000;

export interface OpenArgs {
  classify: ClassifyArgs;
  /** The plan's arguments but the labels, which take the effective severity from the classification. */
  plan: { tenant: string; incidentId: string; commonLabels: Record<string, string>; at: string; groupKey: string };
}

export interface Opened {
  classification?: Classification;
  /** Why scoring gave no answer (the declared severity stands). */
  classifyError?: string;
  plan: Plan;
  /** Who the first step pages now, when it is a notify step and nothing holds the incident. */
  first?: Recipients;
}

type Steps = {
  classifyIncident(args: ClassifyArgs): Promise<Classification>;
  planIncident(args: { tenant: string; incidentId: string; labels: Record<string, string>; at: string; groupKey?: string }): Promise<Plan>;
  resolveRecipients(args: { tenant: string; targets: Extract<Plan['steps'][number], { kind: 'notify' }>['targets']; at: string; urgency?: 'high' | 'low' }): Promise<Recipients>;
  openingFacts(args: { tenant: string; incidentId: string; labels: Record<string, string>; at: string; groupKey?: string }, plan: Plan): Promise<Pick<Plan, 'mutes' | 'runbooks'>>;
};

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000}s`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * Opens an incident in one local activity (issue #11): score it, plan its policy on the effective
 * severity, and look up who its first step pages. One activity instead of three is one marker and
 * one workflow activation instead of three; each part behaves as its own activity did (scoring
 * failing or slow leaves the declared severity; a plan that fails fails this and it is retried).
 */
export function createOpenActivity(steps: Steps) {
  return async function openIncident(args: OpenArgs): Promise<Opened> {
    let classification: Classification | undefined;
    let classifyError: string | undefined;
    try {
      classification = await within(steps.classifyIncident(args.classify), CLASSIFY_BUDGET_MS);
    } catch (err) {
      classifyError = (err as Error).message ?? String(err);
    }
    const severity = classification?.effectiveSeverity ?? args.classify.declaredSeverity;
    const planArgs = { tenant: args.plan.tenant, incidentId: args.plan.incidentId, labels: { ...args.plan.commonLabels, severity }, at: args.plan.at, groupKey: args.plan.groupKey };
    const planned = await steps.planIncident(planArgs);
    const plan: Plan = { ...planned, ...(await steps.openingFacts(planArgs, planned)) };
    const step = plan.steps[0];
    const held = !!plan.hold || !!classification?.hold;
    const first = step?.kind === 'notify' && !held ? await steps.resolveRecipients({ tenant: args.plan.tenant, targets: step.targets, at: args.plan.at, urgency: plan.urgency }) : undefined;
    return { ...(classification ? { classification } : {}), ...(classifyError !== undefined ? { classifyError } : {}), plan, ...(first ? { first } : {}) };
  };
}
