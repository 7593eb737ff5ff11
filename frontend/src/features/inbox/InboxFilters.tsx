import type { InboxQuery } from "../../api/types";
import { DEFAULT_QUERY } from "./inboxQuery";

const WORKFLOWS: [string, string][] = [
  ["kyc-manual-review", "KYC manual review"],
  ["kyb-manual-review", "KYB manual review"],
  ["risk-score-improvement-dev", "Risk score improvement (dev)"],
];
const STATES = ["manual_review", "revision", "approved", "rejected"];

interface Props {
  query: InboxQuery;
  onChange: (query: InboxQuery) => void;
  extraWorkflows: [string, string][];
}

export function InboxFilters({ query, onChange, extraWorkflows }: Props) {
  const set = (key: keyof InboxQuery, value: string) =>
    onChange({ ...query, [key]: value === "" ? undefined : value });
  const workflows = [...WORKFLOWS];
  for (const entry of extraWorkflows) {
    if (!workflows.some(([id]) => id === entry[0])) workflows.push(entry);
  }
  const changed =
    Object.entries(query).some(
      ([key, value]) =>
        key !== "q" && value !== undefined && value !== (DEFAULT_QUERY as Record<string, unknown>)[key],
    ) || Object.keys(DEFAULT_QUERY).some((key) => query[key as keyof InboxQuery] === undefined);

  return (
    <form className="filters" aria-label="Inbox filters" onSubmit={(e) => e.preventDefault()}>
      <Select label="Assignee" id="f-assignee" value={query.assignee ?? ""} onChange={(v) => set("assignee", v)}>
        <option value="me_or_unassigned">Mine + unassigned</option>
        <option value="me">Mine</option>
        <option value="unassigned">Unassigned</option>
        <option value="any">Anyone</option>
      </Select>
      <Select label="Status" id="f-status" value={query.status ?? ""} onChange={(v) => set("status", v)}>
        <option value="active">Active</option>
        <option value="completed">Completed</option>
        <option value="failed">Failed</option>
        <option value="all">All</option>
      </Select>
      <Select label="State" id="f-state" value={query.state ?? ""} onChange={(v) => set("state", v)}>
        <option value="">Any state</option>
        {STATES.map((state) => (
          <option key={state} value={state}>
            {state.replace(/_/g, " ")}
          </option>
        ))}
      </Select>
      <Select
        label="Workflow"
        id="f-workflow"
        value={query.workflowDefinitionId ?? ""}
        onChange={(v) => set("workflowDefinitionId", v)}
      >
        <option value="">Any workflow</option>
        {workflows.map(([id, name]) => (
          <option key={id} value={id}>
            {name}
          </option>
        ))}
      </Select>
      <Select label="Entity" id="f-entity" value={query.entityType ?? ""} onChange={(v) => set("entityType", v)}>
        <option value="">Any entity</option>
        <option value="individual">Individual</option>
        <option value="business">Business</option>
      </Select>
      <Select label="SLA" id="f-sla" value={query.sla ?? ""} onChange={(v) => set("sla", v)}>
        <option value="">Any SLA</option>
        <option value="breached">Breached</option>
      </Select>
      <Select label="Flag" id="f-flag" value={query.flag ?? ""} onChange={(v) => set("flag", v)}>
        <option value="">Any flag</option>
        <option value="resubmitted">Resubmitted by the customer</option>
        <option value="collection_link_expired">Upload link expired</option>
        <option value="escalated">Escalated (SLA breached, no escalation reviewer)</option>
      </Select>
      <Select
        label="Approval"
        id="f-approval"
        value={String(query.awaitingSecondApproval ?? "") === "true" ? "awaiting" : ""}
        onChange={(v) =>
          // A checker confirms approvals made by others: the filter looks at everyone's cases.
          onChange(
            v === "awaiting"
              ? { ...query, awaitingSecondApproval: true, assignee: "any" }
              : { ...query, awaitingSecondApproval: undefined },
          )
        }
      >
        <option value="">Any</option>
        <option value="awaiting">Awaiting second approval</option>
      </Select>
      <Select
        label="Sort"
        id="f-sort"
        value={`${query.sort ?? "createdAt"}:${query.order ?? "desc"}`}
        onChange={(v) => {
          const [sort, order] = v.split(":") as [InboxQuery["sort"], InboxQuery["order"]];
          onChange({ ...query, sort, order });
        }}
      >
        <option value="createdAt:desc">Newest first</option>
        <option value="createdAt:asc">Oldest first</option>
        <option value="updatedAt:desc">Recently updated</option>
        <option value="updatedAt:asc">Least recently updated</option>
        <option value="dueAt:asc">SLA due soonest</option>
      </Select>
      {changed && (
        <button type="button" className="link" onClick={() => onChange({ ...DEFAULT_QUERY, q: query.q })}>
          Reset filters
        </button>
      )}
    </form>
  );
}

function Select(props: {
  label: string;
  id: string;
  value: string;
  onChange: (value: string) => void;
  children: React.ReactNode;
}) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <select id={props.id} value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        {props.children}
      </select>
    </div>
  );
}
