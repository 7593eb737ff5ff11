import type { CaseView } from "../../api/types";

type Criterion = CaseView["acceptanceCriteria"][number];

const STATUS_TEXT: Record<Criterion["status"], string> = {
  met: "Met",
  unmet: "Not met",
  unknown: "Unknown",
};
const STATUS_MARK: Record<Criterion["status"], string> = { met: "✓", unmet: "✗", unknown: "?" };

/** The definition's acceptance criteria as a checklist; every value is rendered as text. */
export function AcceptanceCriteria({ criteria }: { criteria: Criterion[] }) {
  if (criteria.length === 0) return null;
  const blocking = criteria.filter((c) => c.enforced && c.status !== "met").length;
  return (
    <section className="panel acceptance-criteria" aria-labelledby="criteria-title" data-testid="acceptance-criteria">
      <h2 id="criteria-title">
        Acceptance criteria{" "}
        <span className="count" aria-label={`${blocking} blocking approval`}>
          {blocking === 0 ? "all enforced met" : `${blocking} blocking`}
        </span>
      </h2>
      <ul className="criteria-list">
        {criteria.map((criterion) => (
          <li
            key={criterion.id}
            className={`criterion ${criterion.status}`}
            data-testid={`criterion-${criterion.id}`}
            data-status={criterion.status}
          >
            <span className="mark" aria-hidden="true">
              {STATUS_MARK[criterion.status]}
            </span>
            <span className="label">{criterion.label}</span>{" "}
            <span className="status">
              {STATUS_TEXT[criterion.status]}
              {criterion.enforced ? " · enforced" : " · advisory"}
            </span>
            <span className="explanation">{criterion.explanation}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
