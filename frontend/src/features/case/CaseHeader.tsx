import type { CaseView, PersonRef, User } from "../../api/types";
import { age, dateTime, humanize } from "../../shared/format";
import { AssignmentControl } from "./AssignmentControl";
import { StateBadge } from "../../shared/ui/StateBadge";

interface Props {
  view: CaseView;
  user: User;
  busy: boolean;
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
  onBackToInbox: () => void;
  onAssign: (assignee: PersonRef | null, label: string) => void;
}

export function CaseHeader(props: Props) {
  const { view } = props;
  return (
    <div className="case-header">
      <nav className="case-nav" aria-label="Case navigation">
        <button type="button" className="link" onClick={props.onBackToInbox}>
          ← Inbox
        </button>
        <button type="button" onClick={props.onPrevious} disabled={!props.hasPrevious} aria-keyshortcuts="k">
          Previous case
        </button>
        <button type="button" onClick={props.onNext} disabled={!props.hasNext} aria-keyshortcuts="j">
          Next case
        </button>
      </nav>
      <div className="case-title">
        <h1 data-testid="case-title">{view.entity.name || view.entity.id}</h1>
        <StateBadge state={view.state} />
        {view.status !== "active" && <StateBadge state={view.status} />}
        {view.flags.map((flag) => (
          <StateBadge key={flag} state={flag} />
        ))}
        <span className="muted">
          {view.workflow.name || view.workflow.id} · {humanize(view.entity.type)} · opened{" "}
          <span title={dateTime(view.createdAt)}>{age(view.createdAt)} ago</span> · v{view.version}
        </span>
      </div>
      <AssignmentControl view={view} user={props.user} busy={props.busy} onAssign={props.onAssign} />
    </div>
  );
}
