// Why a control is disabled, in words a reviewer understands. null means "allowed".
import type { CaseView, User } from "../../api/types";
import { humanize } from "../../shared/format";

export function decisionBlocker(view: CaseView, user: User): string | null {
  if (view.status !== "active") return `The case is ${view.status}; nothing can change it any more.`;
  if (view.pendingApproval) {
    return "A decision on this case awaits a second approval: it can change again once a checker returns it.";
  }
  if (view.permissions.canDecide) return null;
  if (!(user.permissions ?? []).includes("cases.decide")) {
    return "Your role can read cases but not decide on them.";
  }
  if (!view.assignee) return "Claim the case to decide on it.";
  if (view.assignee.id !== user.id) return `The case is assigned to ${view.assignee.name}.`;
  return `Decisions are not possible in the state “${humanize(view.state)}”.`;
}

export function documentDecisionBlocker(view: CaseView, user: User): string | null {
  const blocker = decisionBlocker(view, user);
  if (blocker) return blocker;
  if (view.allowedEvents.length > 0 && !view.allowedEvents.some((e) => ["approve", "reject", "revision"].includes(e))) {
    return `Documents cannot be decided in the state “${humanize(view.state)}”.`;
  }
  return null;
}
