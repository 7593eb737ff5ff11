import { useEffect, useRef } from "react";
import { Link } from "react-router";
import type { CaseRow } from "../../api/types";
import { age, dateTime, humanize } from "../../shared/format";
import { casePath } from "../../shared/paths";
import { StateBadge } from "../../shared/ui/StateBadge";

const SLA_LABELS = { on_track: "SLA on track", at_risk: "SLA at risk", breached: "SLA breached" };

interface Props {
  rows: CaseRow[];
  selected: number;
  onSelect: (index: number) => void;
  currentUserId: string;
}

export function InboxTable({ rows, selected, onSelect, currentUserId }: Props) {
  const tableRef = useRef<HTMLTableElement>(null);
  useEffect(() => {
    const row = tableRef.current?.querySelector<HTMLElement>(`tr[data-index="${selected}"]`);
    row?.scrollIntoView({ block: "nearest" });
  }, [selected]);

  return (
    <table className="inbox-table" ref={tableRef} aria-label="Cases">
      <thead>
        <tr>
          <th scope="col">Entity</th>
          <th scope="col">Workflow</th>
          <th scope="col">State</th>
          <th scope="col">Assignee</th>
          <th scope="col" className="num">
            Docs to decide
          </th>
          <th scope="col" className="num">
            Age
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row, index) => (
          <tr
            key={row.id}
            data-index={index}
            data-case-id={row.id}
            className={index === selected ? "selected" : undefined}
            aria-selected={index === selected}
            onClick={() => onSelect(index)}
          >
            <td>
              <Link to={casePath(row.id)} className="entity-link">
                {row.entity.name || row.entity.id}
              </Link>
              <span className="sub">{humanize(row.entity.type)}</span>
            </td>
            <td>{row.workflowName || row.workflowDefinitionId}</td>
            <td>
              <StateBadge state={row.state} />
              {row.status !== "active" && <span className="sub">{row.status}</span>}
              {row.flags.map((flag) => (
                <StateBadge key={flag} state={flag} />
              ))}
              {row.slaStatus && row.dueAt && (
                <span className={`sla sla-${row.slaStatus}`} title={`SLA due ${dateTime(row.dueAt)}`}>
                  {SLA_LABELS[row.slaStatus]}
                </span>
              )}
            </td>
            <td>
              {row.assignee ? (
                row.assignee.id === currentUserId ? (
                  <strong>You</strong>
                ) : (
                  row.assignee.name
                )
              ) : (
                <span className="muted">Unassigned</span>
              )}
            </td>
            <td className="num">
              {row.documentsPendingDecision} <span className="muted">of {row.documentCount}</span>
            </td>
            <td className="num" title={dateTime(row.createdAt)}>
              {age(row.createdAt)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
