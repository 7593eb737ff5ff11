import { useState } from "react";
import type { CaseView, User } from "../../api/types";
import { dateTime, humanize } from "../../shared/format";

type Pending = NonNullable<CaseView["pendingApproval"]>;

const MADE: Record<string, string> = { approve: "approved", reject: "rejected" };
const CONFIRM: Record<string, string> = { approve: "Confirm approval", reject: "Confirm rejection" };

interface Props {
  view: CaseView;
  user: User;
  busy: boolean;
  onConfirm: (pending: Pending) => void;
  onReturn: (comment: string) => void;
}

/** Four-eyes: the maker's decision awaiting a second approval, who made it and when, whether the
 * evidence is still what they saw, and (for a checker) Confirm / Return. Text only. */
export function PendingApproval({ view, user, busy, onConfirm, onReturn }: Props) {
  const [returning, setReturning] = useState(false);
  const [comment, setComment] = useState("");
  const pending = view.pendingApproval;
  if (!pending) return null;
  const isMaker = pending.maker.id === user.id;
  const canConfirm = view.permissions.canConfirmApproval === true;
  const canReturn = view.permissions.canReturnApproval === true;
  return (
    <section className="panel pending-approval" aria-labelledby="pending-approval-title" data-testid="pending-approval">
      <h2 id="pending-approval-title">Second approval</h2>
      <p data-testid="pending-approval-summary">
        <strong>{pending.maker.name}</strong> {MADE[pending.decision] ?? humanize(pending.decision)} the case
        {pending.automatic ? " (by deciding the last document)" : ""} on{" "}
        <time dateTime={pending.at}>{dateTime(pending.at)}</time>.
        {pending.reason ? ` Reason: ${humanize(pending.reason)}.` : ""}
      </p>
      {pending.comment && <p className="muted">“{pending.comment}”</p>}
      {typeof pending.criteriaOverride?.justification === "string" && (
        <p data-testid="pending-approval-override">
          Approved over unmet acceptance criteria: “{pending.criteriaOverride.justification}”
        </p>
      )}
      {pending.evidenceMatches ? (
        <p className="evidence ok" data-testid="pending-approval-evidence">
          The evidence is unchanged since this decision.
        </p>
      ) : (
        <p className="evidence changed" role="status" data-testid="pending-approval-evidence">
          The evidence changed since this decision ({pending.changed.join("; ")}): confirming will void the approval, and
          the case needs a new decision.
        </p>
      )}
      {isMaker && (
        <p className="waiting" data-testid="pending-approval-waiting">
          Waiting for a second approval: someone else with the permission <code>{pending.checkerPermission}</code> must
          confirm it.
        </p>
      )}
      {!isMaker && !canConfirm && (
        <p className="waiting" data-testid="pending-approval-waiting">
          Waiting for a second approval by someone with the permission <code>{pending.checkerPermission}</code>.
        </p>
      )}
      {(canConfirm || canReturn) && !returning && (
        <div className="row">
          {canConfirm && (
            <button
              type="button"
              className="approve"
              disabled={busy}
              data-testid="confirm-approval"
              onClick={() => onConfirm(pending)}
            >
              {CONFIRM[pending.decision] ?? `Confirm ${humanize(pending.decision)}`}
            </button>
          )}
          {canReturn && (
            <button
              type="button"
              className="link"
              disabled={busy}
              data-testid="return-approval"
              onClick={() => setReturning(true)}
            >
              Return to {pending.maker.name}…
            </button>
          )}
        </div>
      )}
      {returning && (
        <form
          className="return-form"
          aria-label="Return the approval to its maker"
          onSubmit={(event) => {
            event.preventDefault();
            if (!comment.trim()) return;
            setReturning(false);
            onReturn(comment.trim());
            setComment("");
          }}
        >
          <label htmlFor="return-comment">What should {pending.maker.name} look at again? (required)</label>
          <textarea
            id="return-comment"
            data-testid="return-comment"
            required
            autoFocus
            maxLength={2000}
            value={comment}
            onChange={(event) => setComment(event.target.value)}
          />
          <div className="row">
            <button type="submit" disabled={busy || !comment.trim()} data-testid="return-confirm">
              Return the approval
            </button>
            <button type="button" className="link" onClick={() => setReturning(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
