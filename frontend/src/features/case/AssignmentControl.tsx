import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api } from "../../api/client";
import type { CaseView, User } from "../../api/types";

interface Props {
  view: CaseView;
  user: User;
  busy: boolean;
  onAssign: (assignee: { id: string; name: string } | null, label: string) => void;
}

export function AssignmentControl({ view, user, busy, onAssign }: Props) {
  const { permissions, assignee } = view;
  const [choice, setChoice] = useState("");
  const reviewers = useQuery({
    queryKey: ["assignees"],
    queryFn: ({ signal }) => api.listAssignees(signal),
    enabled: permissions.canAssignOthers,
    staleTime: 300_000,
    refetchOnWindowFocus: false,
  });
  const users: User[] | null = reviewers.data?.data ?? (reviewers.isError ? [] : null);

  const mine = assignee?.id === user.id;
  return (
    <div className="assignment" role="group" aria-label="Assignment">
      <span className="assignee" data-testid="assignee">
        Assignee:{" "}
        {assignee ? <strong>{mine ? `${assignee.name} (you)` : assignee.name}</strong> : <em>unassigned</em>}
      </span>
      {permissions.canClaim && !mine && (
        <button type="button" disabled={busy} aria-keyshortcuts="c" onClick={() => onAssign({ id: user.id, name: user.name }, "You claimed the case.")}>
          {assignee ? "Take over" : "Claim"}
        </button>
      )}
      {permissions.canUnassign && assignee && (
        <button type="button" disabled={busy} onClick={() => onAssign(null, "The case is unassigned.")}>
          Unassign
        </button>
      )}
      {permissions.canAssignOthers && (
        <form
          className="assign-to"
          onSubmit={(event) => {
            event.preventDefault();
            const target = users?.find((u) => u.id === choice);
            if (target) {
              const name = target.name || target.email;
              onAssign({ id: target.id, name }, `Assigned to ${name}.`);
            }
          }}
        >
          <label htmlFor="assign-select" className="visually-hidden">
            Assign to
          </label>
          <select id="assign-select" value={choice} onChange={(e) => setChoice(e.target.value)} disabled={!users}>
            <option value="">{users ? "Assign to…" : "Loading reviewers…"}</option>
            {/* The API lists only the active users who may decide. */}
            {(users ?? []).map((u) => (
              <option key={u.id} value={u.id}>
                {u.name || u.email}
              </option>
            ))}
          </select>
          <button type="submit" disabled={busy || !choice || choice === assignee?.id}>
            Assign
          </button>
        </form>
      )}
    </div>
  );
}
