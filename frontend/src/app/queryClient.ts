// Server state (cases, notes, audit, reviewers) lives in TanStack Query's cache: one client for
// the app, cleared when the session ends so the next reviewer never sees the last one's data.
import { QueryClient } from "@tanstack/react-query";
import { ApiError } from "../api/client";

const MAX_RETRIES = 2;

/** Network errors and 5xx are retried; a 4xx answer is final (401 is refreshed in the client). */
function retry(failureCount: number, error: unknown): boolean {
  if (error instanceof ApiError && error.status >= 400 && error.status < 500) return false;
  return failureCount < MAX_RETRIES;
}

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: { retry, refetchOnWindowFocus: true },
    mutations: { retry: false },
  },
});
