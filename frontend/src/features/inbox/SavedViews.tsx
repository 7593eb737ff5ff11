import { useEffect, useRef, useState } from "react";
import { api } from "../../api/client";
import type { InboxQuery, SavedView, User } from "../../api/types";
import { filtersOfQuery, queryOfFilters, sameFilters, useViewChange, useViews } from "./useViews";

interface Props {
  query: InboxQuery;
  onQueryChange: (query: InboxQuery) => void;
  user: User;
  /** True when the inbox opened with no filters of its own: the role's default view applies. */
  pristine: boolean;
}

/** The saved views as tabs with their counts, and saving the inbox's filters as a new one. */
export function SavedViews({ query, onQueryChange, user, pristine }: Props) {
  const views = useViews();
  const appliedDefault = useRef(false);
  const [saving, setSaving] = useState(false);
  const canShare = (user.permissions ?? []).includes("views.share");
  const remove = useViewChange((view: SavedView) => api.deleteView(view.id, view.version));

  const defaultId = views.data?.defaultViewId;
  useEffect(() => {
    if (appliedDefault.current || !views.data) return;
    appliedDefault.current = true;
    const chosen = views.data.data.find((view) => view.id === defaultId);
    if (pristine && chosen) onQueryChange(queryOfFilters(chosen.filters));
  }, [views.data, defaultId, pristine, onQueryChange]);

  const list = views.data?.data ?? [];
  return (
    <div className="saved-views">
      <nav aria-label="Saved views">
        <ul className="view-tabs">
          {list.map((view) => {
            const current = sameFilters(query, view.filters);
            return (
              <li key={view.id}>
                <button
                  type="button"
                  className={current ? "view-tab current" : "view-tab"}
                  aria-current={current ? "true" : undefined}
                  onClick={() => onQueryChange(queryOfFilters(view.filters))}
                  title={view.shared ? `Shared by ${view.owner.name}` : "Only you see this view"}
                >
                  <span>{view.name}</span>
                  {view.shared && <span className="muted"> · shared</span>}
                  {view.count && (
                    <span className="badge badge-neutral" aria-label={`${view.count.label} cases`}>
                      {view.count.label}
                    </span>
                  )}
                </button>
                {view.editable && current && (
                  <button
                    type="button"
                    className="link small"
                    aria-label={`Delete the view ${view.name}`}
                    disabled={remove.isPending}
                    onClick={() => remove.mutate(view)}
                  >
                    ×
                  </button>
                )}
              </li>
            );
          })}
          <li>
            <button type="button" className="link" aria-expanded={saving} onClick={() => setSaving((s) => !s)}>
              Save as view…
            </button>
          </li>
        </ul>
      </nav>
      {saving && <SaveViewForm query={query} canShare={canShare} onDone={() => setSaving(false)} />}
      {views.isError && (
        <p className="error" role="alert">
          The saved views could not be loaded.
        </p>
      )}
    </div>
  );
}

// The built-in roles a shared view can open the inbox of (custom roles: through the API).
const ROLES: [string, string][] = [
  ["viewer", "Viewers"],
  ["reviewer", "Reviewers"],
  ["senior_reviewer", "Senior reviewers"],
  ["admin", "Admins"],
];

function SaveViewForm({ query, canShare, onDone }: { query: InboxQuery; canShare: boolean; onDone: () => void }) {
  const [name, setName] = useState("");
  const [shared, setShared] = useState(false);
  const [defaultFor, setDefaultFor] = useState<string[]>([]);
  const create = useViewChange(() =>
    api.createView({
      name: name.trim(),
      shared,
      filters: filtersOfQuery(query),
      defaultForRoles: shared ? defaultFor : [],
    }),
  );
  return (
    <form
      className="save-view"
      aria-label="Save the current filters as a view"
      onSubmit={(event) => {
        event.preventDefault();
        if (name.trim()) create.mutate(undefined, { onSuccess: onDone });
      }}
    >
      <label htmlFor="view-name">View name</label>
      <input id="view-name" value={name} maxLength={80} autoFocus onChange={(e) => setName(e.target.value)} />
      {canShare && (
        <label>
          <input type="checkbox" checked={shared} onChange={(e) => setShared(e.target.checked)} /> Share with the team
        </label>
      )}
      {canShare && shared && (
        <fieldset className="inline-fieldset">
          <legend>Opens the inbox of</legend>
          {ROLES.map(([role, label]) => (
            <label key={role}>
              <input
                type="checkbox"
                checked={defaultFor.includes(role)}
                onChange={(e) =>
                  setDefaultFor((roles) => (e.target.checked ? [...roles, role] : roles.filter((r) => r !== role)))
                }
              />{" "}
              {label}
            </label>
          ))}
        </fieldset>
      )}
      <button type="submit" disabled={!name.trim() || create.isPending}>
        Save view
      </button>
      <button type="button" className="link" onClick={onDone}>
        Cancel
      </button>
      {create.isError && (
        <span className="error" role="alert">
          {create.error instanceof Error ? create.error.message : "The view could not be saved."}
        </span>
      )}
    </form>
  );
}
