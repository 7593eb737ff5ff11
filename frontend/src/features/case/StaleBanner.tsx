import { humanize } from "../../shared/format";
import type { LatestVersion } from "./useCase";

/** Someone else changed the case since it was loaded: say what, before the reviewer acts. */
export function StaleBanner({ latest, onReload }: { latest: LatestVersion; onReload: () => void }) {
  return (
    <div className="conflict" role="alert" data-testid="stale-banner">
      <p>
        This case changed since you opened it (now {humanize(latest.state)},{" "}
        {latest.assignee ? `assigned to ${latest.assignee}` : "unassigned"}). Reload it before deciding.
      </p>
      <button type="button" className="primary" onClick={onReload}>
        Reload the case
      </button>
    </div>
  );
}
