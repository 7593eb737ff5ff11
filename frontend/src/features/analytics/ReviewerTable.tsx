// Per-reviewer numbers of the range, sortable by any column (buttons in the headers; aria-sort
// tells screen readers the order).
import { useMemo, useState } from "react";
import type { ReviewerStats } from "../../api/types";
import { formatSeconds } from "./formatSeconds";

type Column = {
  key: string;
  label: string;
  value: (row: ReviewerStats) => number | string;
  show?: (row: ReviewerStats) => string;
};

const COLUMNS: Column[] = [
  { key: "name", label: "Reviewer", value: (r) => r.name.toLowerCase(), show: (r) => r.name },
  { key: "assigned", label: "Assigned", value: (r) => r.assigned },
  { key: "decided", label: "Decided", value: (r) => r.decided },
  { key: "approved", label: "Approved", value: (r) => r.approved },
  { key: "rejected", label: "Rejected", value: (r) => r.rejected },
  { key: "revision", label: "Re-upload", value: (r) => r.revision },
  { key: "reassigned", label: "Reassigned to", value: (r) => r.reassigned },
  {
    key: "p50",
    label: "Median review",
    value: (r) => r.reviewTime.p50 ?? -1,
    show: (r) => formatSeconds(r.reviewTime.p50),
  },
  {
    key: "p90",
    label: "p90 review",
    value: (r) => r.reviewTime.p90 ?? -1,
    show: (r) => formatSeconds(r.reviewTime.p90),
  },
  { key: "confirmed", label: "Confirmed (4-eyes)", value: (r) => r.approvalsConfirmed },
  { key: "returned", label: "Returned (4-eyes)", value: (r) => r.approvalsReturned },
  { key: "overridden", label: "Overrides", value: (r) => r.criteriaOverridden },
];

export function ReviewerTable({ rows }: { rows: ReviewerStats[] }) {
  const [sort, setSort] = useState<{ key: string; descending: boolean }>({ key: "decided", descending: true });
  const sorted = useMemo(() => {
    const column = COLUMNS.find((c) => c.key === sort.key) ?? COLUMNS[0];
    const out = [...rows].sort((a, b) => {
      const x = column.value(a);
      const y = column.value(b);
      return x < y ? -1 : x > y ? 1 : 0;
    });
    return sort.descending ? out.reverse() : out;
  }, [rows, sort]);

  return (
    <table className="table reviewer-table" aria-label="Reviewers">
      <thead>
        <tr>
          {COLUMNS.map((column) => {
            const active = sort.key === column.key;
            return (
              <th
                key={column.key}
                scope="col"
                aria-sort={active ? (sort.descending ? "descending" : "ascending") : "none"}
              >
                <button
                  type="button"
                  className="link sort"
                  onClick={() => setSort({ key: column.key, descending: active ? !sort.descending : column.key !== "name" })}
                >
                  {column.label}
                  <span aria-hidden="true">{active ? (sort.descending ? " ▼" : " ▲") : ""}</span>
                </button>
              </th>
            );
          })}
        </tr>
      </thead>
      <tbody>
        {sorted.map((row) => (
          <tr key={row.reviewerId}>
            {COLUMNS.map((column) =>
              column.key === "name" ? (
                <th scope="row" key={column.key}>
                  {row.name}
                </th>
              ) : (
                <td key={column.key} className="num">
                  {column.show ? column.show(row) : column.value(row)}
                </td>
              ),
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
