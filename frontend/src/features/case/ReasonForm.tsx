import { useEffect, useRef, useState, type FormEvent, type ReactNode } from "react";
import type { ReasonCode, ReasonCodeValue } from "../../api/types";

interface Props {
  idPrefix: string;
  title: string;
  confirmLabel: string;
  reasonCodes: ReasonCode[];
  busy: boolean;
  onSubmit: (reason: ReasonCodeValue, comment: string) => void;
  onCancel: () => void;
  /** More fields of this decision, shown under the reason and comment. */
  extra?: ReactNode;
}

/** Reason picker + comment for reject / re-upload; "other" needs a comment. */
export function ReasonForm({ idPrefix, title, confirmLabel, reasonCodes, busy, onSubmit, onCancel, extra }: Props) {
  const [reason, setReason] = useState<ReasonCodeValue | "">("");
  const [comment, setComment] = useState("");
  const [error, setError] = useState<string | null>(null);
  const selectRef = useRef<HTMLSelectElement>(null);
  useEffect(() => selectRef.current?.focus(), []);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!reason) return setError("Pick a reason.");
    if (reason === "other" && !comment.trim()) return setError("Explain the reason in the comment.");
    setError(null);
    onSubmit(reason, comment.trim());
  }

  return (
    <form
      className="reason-form"
      onSubmit={submit}
      aria-label={title}
      onKeyDown={(event) => {
        if (event.key === "Escape") {
          event.stopPropagation();
          onCancel();
        }
      }}
    >
      <p className="reason-title">{title}</p>
      <div className="reason-fields">
        <div>
          <label htmlFor={`${idPrefix}-reason`}>Reason</label>
          <select
            id={`${idPrefix}-reason`}
            ref={selectRef}
            value={reason}
            onChange={(e) => setReason(e.target.value as ReasonCodeValue | "")}
            required
          >
            <option value="">Choose a reason…</option>
            {reasonCodes.map((code) => (
              <option key={code.code} value={code.code}>
                {code.label}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={`${idPrefix}-comment`}>
            Comment {reason === "other" ? "(required)" : "(optional)"}
          </label>
          <input
            id={`${idPrefix}-comment`}
            type="text"
            maxLength={2000}
            value={comment}
            onChange={(e) => setComment(e.target.value)}
          />
        </div>
      </div>
      {extra}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="row">
        <button type="submit" className="primary" disabled={busy}>
          {confirmLabel}
        </button>
        <button type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}
