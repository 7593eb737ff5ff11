import type { CaseDocument, DecisionKind, ReasonCode, ReasonCodeValue } from "../../api/types";
import { dateTime, humanize } from "../../shared/format";
import { ReasonForm } from "./ReasonForm";
import { StateBadge } from "../../shared/ui/StateBadge";

interface Props {
  document: CaseDocument;
  blocker: string | null;
  busy: boolean;
  mode: "reject" | "revision" | null;
  reasonCodes: ReasonCode[];
  onModeChange: (mode: "reject" | "revision" | null) => void;
  onDecide: (decision: DecisionKind, reason?: ReasonCodeValue, comment?: string) => void;
  /** The user's roles do not allow deciding at all: show the decision, offer no controls. */
  readOnly?: boolean;
}

export function DocumentDecisionPanel({
  document: doc,
  blocker,
  busy,
  mode,
  reasonCodes,
  onModeChange,
  onDecide,
  readOnly = false,
}: Props) {
  const disabled = blocker !== null || busy;
  const label = humanize(doc.type);
  const reasonLabel = reasonCodes.find((code) => code.code === doc.decision.reason)?.label ?? doc.decision.reason;
  return (
    <section className="doc-decision" aria-labelledby="doc-decision-title">
      <h3 id="doc-decision-title">
        Decision on this document <StateBadge state={doc.decision.status} />
        {busy && <span className="muted"> Saving…</span>}
      </h3>
      {doc.decision.status !== "pending" && (
        <p className="muted decided">
          {doc.decision.decidedBy ? `By ${doc.decision.decidedBy.name}` : "Decided"}
          {doc.decision.decidedAt ? ` · ${dateTime(doc.decision.decidedAt)}` : ""}
          {reasonLabel ? ` · ${reasonLabel}` : ""}
          {doc.decision.comment ? ` · “${doc.decision.comment}”` : ""}
        </p>
      )}
      {!readOnly && (
        <div className="row" role="group" aria-label={`Decide on ${label}`}>
          <button
            type="button"
            className="approve"
            disabled={disabled}
            aria-describedby={blocker ? "doc-blocker" : undefined}
            aria-keyshortcuts="a"
            onClick={() => onDecide("approve")}
          >
            Approve document
          </button>
          <button
            type="button"
            className="reject"
            disabled={disabled}
            aria-describedby={blocker ? "doc-blocker" : undefined}
            aria-keyshortcuts="r"
            aria-expanded={mode === "reject"}
            onClick={() => onModeChange(mode === "reject" ? null : "reject")}
          >
            Reject document…
          </button>
          <button
            type="button"
            className="revision"
            disabled={disabled}
            aria-describedby={blocker ? "doc-blocker" : undefined}
            aria-keyshortcuts="u"
            aria-expanded={mode === "revision"}
            onClick={() => onModeChange(mode === "revision" ? null : "revision")}
          >
            Ask for re-upload…
          </button>
        </div>
      )}
      {blocker && (
        <p id="doc-blocker" className="blocker" data-testid="doc-blocker">
          {blocker}
        </p>
      )}
      {mode && !blocker && !readOnly && (
        <ReasonForm
          key={`${doc.id}-${mode}`}
          idPrefix="doc-decision"
          title={mode === "reject" ? `Reject the ${label}` : `Ask the customer to re-upload the ${label}`}
          confirmLabel={mode === "reject" ? "Confirm rejection" : "Request re-upload"}
          reasonCodes={reasonCodes}
          busy={busy}
          onCancel={() => onModeChange(null)}
          onSubmit={(reason, comment) => onDecide(mode, reason, comment || undefined)}
        />
      )}
    </section>
  );
}
