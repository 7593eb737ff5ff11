import { humanize } from "../format";

const TONES: Record<string, string> = {
  manual_review: "info",
  revision: "warn",
  approved: "ok",
  rejected: "bad",
  pending: "neutral",
  failed: "bad",
  completed: "ok",
  criteria_overridden: "warn",
};

export function StateBadge({ state, label }: { state: string; label?: string }) {
  return (
    <span className={`badge badge-${TONES[state] ?? "neutral"}`} data-state={state}>
      {label ?? humanize(state)}
    </span>
  );
}
