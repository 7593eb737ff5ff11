// The inbox list as TanStack Query state: cursor pages ("load more"), kept live while the inbox
// is on screen (a short poll and a refetch on focus), so another reviewer's claim or decision
// shows without a reload. The request is one inbox page: an index query, no scan.
import { useInfiniteQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { api, ApiError } from "../../api/client";
import type { CaseRow, InboxQuery } from "../../api/types";
import { apiParams, searchFromQuery } from "./inboxQuery";

export const INBOX_LIVE_MS = 5_000;

export const inboxKeys = {
  all: ["cases", "list"] as const,
  list: (query: InboxQuery) => ["cases", "list", searchFromQuery(query)] as const,
};

export function useInbox(query: InboxQuery, live: boolean) {
  const result = useInfiniteQuery({
    queryKey: inboxKeys.list(query),
    queryFn: ({ pageParam, signal }) => api.listCases(apiParams(query, pageParam), signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    refetchInterval: live ? INBOX_LIVE_MS : false,
    refetchOnWindowFocus: live,
  });
  const rows = useMemo(() => {
    const seen = new Set<string>();
    const all: CaseRow[] = [];
    for (const page of result.data?.pages ?? []) {
      for (const row of page.data) {
        if (!seen.has(row.id)) {
          seen.add(row.id);
          all.push(row);
        }
      }
    }
    return all;
  }, [result.data]);
  const error = result.error
    ? result.error instanceof ApiError
      ? result.error.message
      : "The inbox could not be loaded."
    : null;
  return {
    rows,
    status: result.status === "pending" ? "loading" : result.data ? "ready" : "error",
    error,
    hasMore: result.hasNextPage,
    loadingMore: result.isFetchingNextPage,
    refresh: () => result.refetch(),
    loadMore: () => result.fetchNextPage(),
  } as const;
}

export type Inbox = ReturnType<typeof useInbox>;
