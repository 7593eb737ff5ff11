import { useState } from "react";
import type { CaseView, DecisionKind, ReasonCode, ReasonCodeValue } from "../../api/types";
import { humanize, sentence } from "../../shared/format";
import { ReasonForm } from "./ReasonForm";

interface Props {
  view: CaseView;
  blocker: string | null;
  busy: boolean;
  reasonCodes: ReasonCode[];
  onDecide: (
    decision: DecisionKind,
    reason?: ReasonCodeValue,
    comment?: string,
    overrideJustification?: string,
    requestDocuments?: RequestedType[],
  ) => void;
}

const KINDS: DecisionKind[] = ["approve", "reject", "revision"];

export interface RequestedType {
  type: string;
  category: string;
}

function markedList(view: CaseView): string {
  const marked = view.documents.filter((doc) => doc.decision.status === "revision");
  return marked.length === 0
    ? "no document is marked for re-upload, so only your message"
    : marked.map((doc) => humanize(doc.type)).join(", ");
}

export function CaseDecisionBar({ view, blocker, busy, reasonCodes, onDecide }: Props) {
  const [mode, setMode] = useState<"reject" | "revision" | null>(null);
  const [overriding, setOverriding] = useState(false);
  const [justification, setJustification] = useState("");
  // A document type the case does not have yet, asked for in the same request.
  const [newType, setNewType] = useState("");
  const [newCategory, setNewCategory] = useState("");
  const blockingCriteria = (view.acceptanceCriteria ?? []).filter((c) => c.enforced && c.status !== "met");
  // Offered only when the criteria are all that stands in the way of approving.
  const approveOption = view.caseDecisions?.approve;
  const canOverride =
    !blocker &&
    view.permissions.canOverrideCriteria === true &&
    blockingCriteria.length > 0 &&
    approveOption?.allowed === false &&
    (approveOption.reason ?? "").startsWith("acceptance criteria not met");
  const explain = (kind: DecisionKind): string | null => {
    if (blocker) return blocker;
    const option = view.caseDecisions?.[kind];
    if (!option) return "Not offered for this case.";
    return option.allowed ? null : sentence(option.reason || "not allowed now");
  };
  return (
    <section className="case-decisions" aria-labelledby="case-decisions-title">
      <h2 id="case-decisions-title" className="visually-hidden">
        Case decision
      </h2>
      <div className="row">
        {KINDS.map((kind) => {
          const reason = explain(kind);
          const id = `case-${kind}-why`;
          return (
            <div className="case-decision" key={kind}>
              <button
                type="button"
                className={kind}
                disabled={reason !== null || busy}
                aria-describedby={reason ? id : undefined}
                aria-expanded={kind === "approve" ? undefined : mode === kind}
                data-testid={`case-${kind}`}
                onClick={() => (kind === "approve" ? onDecide("approve") : setMode(mode === kind ? null : kind))}
              >
                {kind === "approve" ? "Approve case" : kind === "reject" ? "Reject case…" : "Ask for re-uploads…"}
                {view.caseDecisions?.[kind]?.needsSecondApproval && !reason && (
                  <span className="second-approval-note"> (needs a second approval)</span>
                )}
              </button>
              {reason && !blocker && (
                <span id={id} className="why">
                  {reason}
                </span>
              )}
              {reason && blocker && <span id={id} className="visually-hidden">{reason}</span>}
            </div>
          );
        })}
      </div>
      {canOverride && !overriding && (
        <button type="button" className="link" data-testid="case-override" onClick={() => setOverriding(true)}>
          Approve anyway (override criteria)…
        </button>
      )}
      {canOverride && overriding && (
        <form
          className="override-form"
          aria-label="Override the acceptance criteria"
          onSubmit={(event) => {
            event.preventDefault();
            if (!justification.trim()) return;
            setOverriding(false);
            onDecide("approve", undefined, undefined, justification.trim());
            setJustification("");
          }}
        >
          <label htmlFor="override-justification">
            Why approve although {blockingCriteria.map((c) => c.label).join(", ")} {blockingCriteria.length > 1 ? "are" : "is"} not met?
            (recorded in the audit trail and sent to the integrator)
          </label>
          <textarea
            id="override-justification"
            data-testid="override-justification"
            required
            maxLength={2000}
            value={justification}
            onChange={(event) => setJustification(event.target.value)}
          />
          <div className="row">
            <button type="submit" className="approve" disabled={busy || !justification.trim()} data-testid="override-confirm">
              Approve with override
            </button>
            <button type="button" className="link" onClick={() => setOverriding(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {blocker && (
        <p className="blocker" data-testid="case-blocker">
          {blocker}
        </p>
      )}
      {mode && explain(mode) === null && (
        <ReasonForm
          key={mode}
          idPrefix="case-decision"
          title={
            mode === "reject"
              ? "Reject the case"
              : `Send the customer one request: ${markedList(view)} (emailed with a link; they see your comment)`
          }
          confirmLabel={mode === "reject" ? "Confirm case rejection" : "Send back for re-upload"}
          reasonCodes={reasonCodes}
          busy={busy}
          onCancel={() => setMode(null)}
          extra={
            mode === "revision" && (
              <fieldset className="reason-fields new-document">
                <legend>Also ask for a document the case does not have (optional)</legend>
                <div>
                  <label htmlFor="new-document-type">Document type</label>
                  <input
                    id="new-document-type"
                    type="text"
                    maxLength={64}
                    placeholder="e.g. utility_bill"
                    value={newType}
                    onChange={(e) => setNewType(e.target.value)}
                  />
                </div>
                <div>
                  <label htmlFor="new-document-category">Category</label>
                  <input
                    id="new-document-category"
                    type="text"
                    maxLength={64}
                    placeholder="e.g. proof_of_address"
                    value={newCategory}
                    onChange={(e) => setNewCategory(e.target.value)}
                  />
                </div>
              </fieldset>
            )
          }
          onSubmit={(reason, comment) => {
            setMode(null);
            const type = newType.trim();
            const requested =
              mode === "revision" && type ? [{ type, category: newCategory.trim() || "other" }] : undefined;
            onDecide(mode, reason, comment || undefined, undefined, requested);
            setNewType("");
            setNewCategory("");
          }}
        />
      )}
    </section>
  );
}
