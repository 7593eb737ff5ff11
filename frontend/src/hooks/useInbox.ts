// The inbox list: first page, cursor pagination ("load more"), refresh without a reload.
import { useCallback, useEffect, useRef, useState } from "react";
import { api, ApiError } from "../api/client";
import type { CaseRow, InboxQuery } from "../api/types";
import { apiParams, searchFromQuery } from "../inboxQuery";

export interface InboxState {
  rows: CaseRow[];
  nextCursor: string | null;
  status: "loading" | "ready" | "error";
  error: string | null;
  refreshing: boolean;
  loadingMore: boolean;
  loadedAt: number | null;
}

const AUTO_REFRESH_MS = 30_000;

export function useInbox(query: InboxQuery, autoRefresh: boolean) {
  const [state, setState] = useState<InboxState>({
    rows: [],
    nextCursor: null,
    status: "loading",
    error: null,
    refreshing: false,
    loadingMore: false,
    loadedAt: null,
  });
  const key = searchFromQuery(query);
  const queryRef = useRef(query);
  queryRef.current = query;
  const generation = useRef(0);

  const load = useCallback(async (mode: "initial" | "refresh") => {
    const run = ++generation.current;
    setState((s) =>
      mode === "initial"
        ? { ...s, status: "loading", error: null, rows: [], nextCursor: null }
        : { ...s, refreshing: true },
    );
    try {
      const page = await api.listCases(apiParams(queryRef.current));
      if (run !== generation.current) return;
      setState((s) => ({
        ...s,
        rows: page.data,
        nextCursor: page.nextCursor ?? null,
        status: "ready",
        error: null,
        refreshing: false,
        loadedAt: Date.now(),
      }));
    } catch (error) {
      if (run !== generation.current) return;
      const message = error instanceof ApiError ? error.message : "The inbox could not be loaded.";
      setState((s) => ({
        ...s,
        status: mode === "initial" || s.status !== "ready" ? "error" : s.status,
        error: message,
        refreshing: false,
      }));
    }
  }, []);

  useEffect(() => {
    void load("initial");
  }, [key, load]);

  const loadMore = useCallback(async () => {
    const cursor = state.nextCursor;
    if (!cursor || state.loadingMore) return;
    const run = generation.current;
    setState((s) => ({ ...s, loadingMore: true }));
    try {
      const page = await api.listCases(apiParams(queryRef.current, cursor));
      if (run !== generation.current) return;
      setState((s) => {
        const seen = new Set(s.rows.map((row) => row.id));
        return {
          ...s,
          rows: [...s.rows, ...page.data.filter((row) => !seen.has(row.id))],
          nextCursor: page.nextCursor ?? null,
          loadingMore: false,
        };
      });
    } catch (error) {
      if (run !== generation.current) return;
      const message = error instanceof ApiError ? error.message : "More cases could not be loaded.";
      setState((s) => ({ ...s, loadingMore: false, error: message }));
    }
  }, [state.nextCursor, state.loadingMore]);

  const refresh = useCallback(() => load("refresh"), [load]);

  useEffect(() => {
    if (!autoRefresh) return;
    const timer = window.setInterval(() => {
      if (document.visibilityState === "visible") void load("refresh");
    }, AUTO_REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [autoRefresh, load]);

  return { ...state, refresh, loadMore };
}

export type Inbox = ReturnType<typeof useInbox>;
