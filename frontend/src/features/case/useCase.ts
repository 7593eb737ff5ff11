// The case view as TanStack Query state, and every change to it (claim, assign, decisions)
// as one optimistic mutation: shown at once, replaced by the server's answer (which is the full
// case view), rolled back on error; the inbox lists are invalidated after each change.
import { useIsMutating, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, ApiError } from "../../api/client";
import type { CaseView } from "../../api/types";
import { notify } from "../../shared/toast";
import { inboxKeys } from "../inbox/useInbox";

/** How often an open case checks whether someone else changed it. */
export const CASE_LIVE_MS = 5_000;
// Page links are presigned for at most 5 minutes: the shown view is re-read every 4.
const PRESIGN_REFRESH_MS = 240_000;

export const caseKeys = {
  view: (id: string) => ["cases", "detail", id] as const,
  latest: (id: string) => ["cases", "detail", id, "latest"] as const,
  notes: (id: string) => ["cases", "detail", id, "notes"] as const,
  messages: (id: string) => ["cases", "detail", id, "messages"] as const,
  audit: (id: string, version: number) => ["cases", "detail", id, "audit", version] as const,
  /** Every version's audit trail of the case (a prefix of `audit`). */
  audits: (id: string) => ["cases", "detail", id, "audit"] as const,
};

/** The case as shown. Not swapped by polling: the reviewer's page (and its page images) stays
 * as it was until they reload or change it; useLatestVersion says when it is out of date. */
export function useCaseView(caseId: string) {
  const busy = useIsMutating({ mutationKey: caseKeys.view(caseId) }) > 0;
  return useQuery({
    queryKey: caseKeys.view(caseId),
    queryFn: ({ signal }) => api.getCase(caseId, signal),
    refetchOnWindowFocus: false,
    refetchInterval: busy ? false : PRESIGN_REFRESH_MS,
  });
}

export interface LatestVersion {
  version: number;
  state: string;
  assignee: string | null;
}

/** What the case is now on the server, polled while the case is open and on focus. Use it once
 * the view is loaded: its first answer is the shown view itself (no second request on opening). */
export function useLatestVersion(caseId: string): LatestVersion | undefined {
  const client = useQueryClient();
  const { data } = useQuery({
    queryKey: caseKeys.latest(caseId),
    queryFn: ({ signal }) => api.getCase(caseId, signal),
    initialData: () => client.getQueryData<CaseView>(caseKeys.view(caseId)),
    initialDataUpdatedAt: () => client.getQueryState(caseKeys.view(caseId))?.dataUpdatedAt,
    staleTime: CASE_LIVE_MS,
    refetchInterval: CASE_LIVE_MS,
    refetchOnWindowFocus: true,
    select: (view) => ({ version: view.version, state: view.state, assignee: view.assignee?.name ?? null }),
  });
  return data;
}

const CONFLICT_MESSAGE =
  "Someone else changed this case while you were looking at it. Your change was not saved; the latest version is shown now. Please check it and decide again.";

interface Change {
  label: string;
  optimistic: (current: CaseView) => CaseView;
  call: () => Promise<CaseView>;
}

export function useCaseChange(caseId: string) {
  const client = useQueryClient();
  const key = caseKeys.view(caseId);
  const [conflict, setConflict] = useState<string | null>(null);
  const reload = () => client.invalidateQueries({ queryKey: key, exact: true });

  const mutation = useMutation({
    mutationKey: key,
    mutationFn: (change: Change) => change.call(),
    onMutate: async (change) => {
      setConflict(null);
      await client.cancelQueries({ queryKey: key, exact: true });
      const before = client.getQueryData<CaseView>(key);
      if (before) client.setQueryData(key, change.optimistic(before));
      return { before };
    },
    onError: (error, _change, context) => {
      if (context?.before) client.setQueryData(key, context.before);
      if (error instanceof ApiError && error.status === 409) {
        setConflict(error.code === "version_conflict" ? CONFLICT_MESSAGE : `${error.message} The latest version is shown now.`);
        void reload();
      } else if (error instanceof ApiError && error.status === 403) {
        notify(error.message || "You are not allowed to do that.", "error");
        void reload();
      } else {
        notify(error instanceof ApiError ? error.message : "The change could not be saved.", "error");
      }
    },
    onSuccess: (after) => {
      client.setQueryData(key, after);
      client.setQueryData(caseKeys.latest(caseId), after);
      void client.invalidateQueries({ queryKey: inboxKeys.all });
    },
  });

  /** Apply a change to the shown case; the server's answer, or null when it failed. */
  async function change(
    label: string,
    optimistic: (current: CaseView) => CaseView,
    call: (current: CaseView) => Promise<CaseView>,
  ): Promise<CaseView | null> {
    const current = client.getQueryData<CaseView>(key);
    // One change at a time (the live count: this render's `isPending` may be out of date).
    if (!current || client.isMutating({ mutationKey: key }) > 0) return null;
    try {
      return await mutation.mutateAsync({ label, optimistic, call: () => call(current) });
    } catch {
      return null;
    }
  }

  return {
    change,
    busy: mutation.isPending ? mutation.variables.label : null,
    conflict,
    dismissConflict: () => setConflict(null),
    reload,
  };
}
