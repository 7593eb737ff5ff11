// The inbox query <-> URL search params. Defaults: mine + unassigned, active, newest first.
import type { InboxQuery } from "../../api/types";

export const PAGE_SIZE = 50;

export const DEFAULT_QUERY: InboxQuery = {
  status: "active",
  assignee: "me_or_unassigned",
  sort: "createdAt",
  order: "desc",
};

const KEYS = [
  "q",
  "state",
  "status",
  "assignee",
  "workflowDefinitionId",
  "entityType",
  "flag",
  "awaitingSecondApproval",
  "sort",
  "order",
  "sla",
] as const;

type Loose = Record<string, string | undefined>;

export function queryFromSearch(search: URLSearchParams): InboxQuery {
  const query: Loose = { ...(DEFAULT_QUERY as Loose) };
  for (const key of KEYS) {
    const value = search.get(key);
    if (value !== null && value !== "") query[key] = value;
  }
  return query as InboxQuery;
}

export function searchFromQuery(query: InboxQuery): string {
  const params = new URLSearchParams();
  for (const key of KEYS) {
    const value = (query as Loose)[key];
    if (value !== undefined && value !== "" && value !== (DEFAULT_QUERY as Loose)[key]) {
      params.set(key, value);
    }
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

export function apiParams(query: InboxQuery, cursor?: string): InboxQuery {
  const params: InboxQuery = { ...query, limit: PAGE_SIZE };
  if (cursor) params.cursor = cursor;
  return params;
}
