// The case's re-upload requests (collection rounds): what was asked, until when, whether the
// customer answered; the open round's link when this reviewer just created it, and "New link".
import type { CaseView, CollectionLink } from "../../api/types";
import { dateTime, humanize } from "../../shared/format";

interface Props {
  view: CaseView;
  link: CollectionLink | null;
  canRenew: boolean;
  busy: boolean;
  onRenew: () => void;
}

export function CollectionPanel({ view, link, canRenew, busy, onRenew }: Props) {
  const rounds = view.collectionRounds ?? [];
  if (rounds.length === 0) return null;
  const open = rounds.find((round) => !round.completedAt);
  return (
    <section className="panel" aria-labelledby="collection-title" data-testid="collection-panel">
      <h2 id="collection-title">Re-upload requests</h2>
      <ol className="notes">
        {rounds.map((round) => (
          <li key={round.number} data-round={round.number}>
            <p>
              <strong>Round {round.number}</strong> · sent {dateTime(round.sentAt)}
              {round.sentBy ? ` by ${round.sentBy.name}` : ""}
            </p>
            <ul>
              {round.requested.map((item, index) => (
                <li key={index}>
                  {humanize(String(item.type ?? ""))}
                  {item.reason ? ` (${humanize(String(item.reason))})` : ""}
                  {item.document_id ? "" : " · new document"}
                </li>
              ))}
            </ul>
            <p className="muted small">
              {round.completedAt
                ? `Answered ${dateTime(round.completedAt)} by the ${round.completedBy}`
                : round.linkExpired
                  ? "Link expired: the customer has not answered."
                  : `Waiting for the customer; link valid until ${round.expiresAt ? dateTime(round.expiresAt) : "—"}`}
            </p>
          </li>
        ))}
      </ol>
      {open && link && (
        <p className="collection-link">
          <label htmlFor="collection-link">Link for the customer (emailed to them; shown only now)</label>
          <input id="collection-link" readOnly value={link.url} data-testid="collection-link" onFocus={(e) => e.target.select()} />
        </p>
      )}
      {open && canRenew && (
        <button type="button" onClick={onRenew} disabled={busy} data-testid="collection-renew">
          New link (the old one stops working)
        </button>
      )}
    </section>
  );
}
