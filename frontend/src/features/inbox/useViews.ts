import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../../api/client";
import type { InboxFilterSet, InboxQuery } from "../../api/types";

const KEY = ["views"] as const;

/** The caller's saved views and the tenant's shared ones, each with its capped count. */
export function useViews() {
  return useQuery({ queryKey: KEY, queryFn: ({ signal }) => api.listViews(signal), staleTime: 30_000 });
}

/** A change to the views: the list (and so the counts) is read again after. */
export function useViewChange<A, R>(change: (args: A) => Promise<R>) {
  const client = useQueryClient();
  return useMutation({ mutationFn: change, onSettled: () => void client.invalidateQueries({ queryKey: KEY }) });
}

/** The inbox query a view's filters stand for (the API fills in every default, null included). */
export function queryOfFilters(filters: InboxFilterSet): InboxQuery {
  const query: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(filters)) {
    if (value !== null && value !== undefined && value !== false) query[key] = value;
  }
  return query as InboxQuery;
}

/** The filters of the inbox as it is now (the page's own limit and cursor left out). */
export function filtersOfQuery(query: InboxQuery): InboxFilterSet {
  const { limit: _limit, cursor: _cursor, ...filters } = query;
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(filters)) {
    if (value === undefined || value === "") continue;
    result[key] = key === "awaitingSecondApproval" ? value === true || value === "true" : value;
  }
  return result as InboxFilterSet;
}

/** Whether the inbox shows exactly a view's filters (its tab is then the current one). */
export function sameFilters(query: InboxQuery, filters: InboxFilterSet): boolean {
  const a = filtersOfQuery(query) as Record<string, unknown>;
  const b = filtersOfQuery(queryOfFilters(filters)) as Record<string, unknown>;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((key) => String(a[key] ?? "") === String(b[key] ?? ""));
}
