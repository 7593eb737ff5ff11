import { useState } from "react";
import type { CaseView, DecisionKind, ReasonCode, ReasonCodeValue } from "../../api/types";
import { DECISION_LABELS, sentence } from "../../shared/format";
import { ReasonForm } from "./ReasonForm";

interface Props {
  view: CaseView;
  blocker: string | null;
  busy: boolean;
  reasonCodes: ReasonCode[];
  onDecide: (decision: DecisionKind, reason?: ReasonCodeValue, comment?: string) => void;
}

const KINDS: DecisionKind[] = ["approve", "reject", "revision"];

export function CaseDecisionBar({ view, blocker, busy, reasonCodes, onDecide }: Props) {
  const [mode, setMode] = useState<"reject" | "revision" | null>(null);
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
                {kind === "approve" ? "Approve case" : kind === "reject" ? "Reject case…" : `${DECISION_LABELS.revision} (case)…`}
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
      {blocker && (
        <p className="blocker" data-testid="case-blocker">
          {blocker}
        </p>
      )}
      {mode && explain(mode) === null && (
        <ReasonForm
          key={mode}
          idPrefix="case-decision"
          title={mode === "reject" ? "Reject the case" : "Send the case back to the customer for re-upload"}
          confirmLabel={mode === "reject" ? "Confirm case rejection" : "Send back for re-upload"}
          reasonCodes={reasonCodes}
          busy={busy}
          onCancel={() => setMode(null)}
          onSubmit={(reason, comment) => {
            setMode(null);
            onDecide(mode, reason, comment || undefined);
          }}
        />
      )}
    </section>
  );
}
