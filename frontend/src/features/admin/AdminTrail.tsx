import { useInfiniteQuery } from "@tanstack/react-query";
import { api } from "../../api/client";
import { dateTime } from "../../shared/format";
import { QueryStatus } from "./QueryStatus";

function change(entry: { before?: Record<string, unknown> | null; after?: Record<string, unknown> | null }): string {
  const keys = new Set([...Object.keys(entry.before ?? {}), ...Object.keys(entry.after ?? {})]);
  return [...keys]
    .map((key) => {
      const before = entry.before?.[key];
      const after = entry.after?.[key];
      const show = (value: unknown) => (Array.isArray(value) ? value.join(", ") : String(value));
      return before === undefined ? `${key}: ${show(after)}` : `${key}: ${show(before)} → ${show(after)}`;
    })
    .join("; ");
}

export function AdminTrail() {
  const trail = useInfiniteQuery({
    queryKey: ["admin", "audit"],
    queryFn: ({ pageParam, signal }) => api.listAdminAudit(pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchOnWindowFocus: false,
  });
  const entries = trail.data?.pages.flatMap((page) => page.data) ?? [];
  return (
    <div className="admin-panel">
      <h2 id="trail-title">Admin trail</h2>
      <QueryStatus query={trail} loading="Loading…" />
      {trail.data && entries.length === 0 && <p className="empty">No changes yet.</p>}
      {entries.length > 0 && (
        <table className="admin-table" aria-labelledby="trail-title" data-testid="admin-trail">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
              <th scope="col">Change</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <tr key={entry.id}>
                <td>{dateTime(entry.at)}</td>
                <td>{entry.actor.name ?? entry.actor.id}</td>
                <td>
                  {entry.action} <span className="sub">{String(entry.details?.email ?? entry.subjectId)}</span>
                </td>
                <td className="small">{change(entry)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {trail.hasNextPage && (
        <p className="more">
          <button type="button" disabled={trail.isFetchingNextPage} onClick={() => void trail.fetchNextPage()}>
            {trail.isFetchingNextPage ? "Loading…" : "Load more"}
          </button>
        </p>
      )}
    </div>
  );
}
