import { useEffect, useMemo, useState } from "react";
import { useLocation, useNavigate } from "react-router";
import type { InboxQuery, User } from "../../api/types";
import { casePath } from "../../shared/paths";
import { useShortcuts } from "../../shared/useShortcuts";
import type { Inbox } from "./useInbox";
import { InboxFilters } from "./InboxFilters";
import { InboxTable } from "./InboxTable";
import { SavedViews } from "./SavedViews";

interface Props {
  inbox: Inbox;
  query: InboxQuery;
  onQueryChange: (query: InboxQuery) => void;
  user: User;
}

export function InboxPage({ inbox, query, onQueryChange, user }: Props) {
  const navigate = useNavigate();
  const { search } = useLocation();
  const [selected, setSelected] = useState(0);
  const [refreshing, setRefreshing] = useState(false);
  const { rows } = inbox;
  useEffect(() => {
    setSelected((index) => Math.min(index, Math.max(0, rows.length - 1)));
  }, [rows.length]);
  useEffect(() => {
    document.title = "Inbox · KYC/KYB back office";
  }, []);

  const workflows = useMemo(() => {
    const seen = new Map<string, string>();
    rows.forEach((row) => seen.set(row.workflowDefinitionId, row.workflowName || row.workflowDefinitionId));
    return [...seen.entries()];
  }, [rows]);

  useShortcuts({
    j: () => setSelected((i) => Math.min(i + 1, rows.length - 1)),
    k: () => setSelected((i) => Math.max(i - 1, 0)),
    ArrowDown: () => setSelected((i) => Math.min(i + 1, rows.length - 1)),
    ArrowUp: () => setSelected((i) => Math.max(i - 1, 0)),
    Enter: () => {
      const row = rows[selected];
      if (row) navigate(casePath(row.id));
    },
  });

  return (
    <section className="inbox" aria-labelledby="inbox-title">
      <div className="inbox-head">
        <h1 id="inbox-title">
          Inbox
          {query.q ? <span className="muted"> · “{query.q}”</span> : null}
        </h1>
        <div className="inbox-actions">
          <span className="muted" aria-live="polite">
            {inbox.status === "ready" && `${rows.length}${inbox.hasMore ? "+" : ""} cases`}
          </span>
          <button
            type="button"
            disabled={refreshing}
            onClick={() => {
              setRefreshing(true);
              void inbox.refresh().finally(() => setRefreshing(false));
            }}
          >
            {refreshing ? "Refreshing…" : "Refresh"}
          </button>
        </div>
      </div>
      <SavedViews query={query} onQueryChange={onQueryChange} user={user} pristine={search === ""} />
      <InboxFilters query={query} onChange={onQueryChange} extraWorkflows={workflows} />
      {inbox.status === "loading" && (
        <p className="loading" role="status">
          Loading cases…
        </p>
      )}
      {inbox.status === "error" && (
        <div className="error-box" role="alert">
          <p>{inbox.error}</p>
          <button type="button" onClick={() => void inbox.refresh()}>
            Try again
          </button>
        </div>
      )}
      {inbox.status === "ready" && inbox.error && (
        <p className="error" role="alert">
          {inbox.error}
        </p>
      )}
      {inbox.status === "ready" && rows.length === 0 && (
        <div className="empty" role="status">
          <p>No cases match these filters.</p>
          {query.q && (
            <button type="button" className="link" onClick={() => onQueryChange({ ...query, q: undefined })}>
              Clear the search
            </button>
          )}
        </div>
      )}
      {inbox.status === "ready" && rows.length > 0 && (
        <>
          <InboxTable rows={rows} selected={selected} onSelect={setSelected} currentUserId={user.id} />
          {inbox.hasMore && (
            <div className="more">
              <button type="button" onClick={() => void inbox.loadMore()} disabled={inbox.loadingMore}>
                {inbox.loadingMore ? "Loading…" : "Load more cases"}
              </button>
            </div>
          )}
        </>
      )}
    </section>
  );
}
