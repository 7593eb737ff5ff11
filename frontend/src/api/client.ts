// The one API client of the app. Every call goes to the same origin (`/api/v1/...`) with the
// reviewer's ID token; a 401 triggers one refresh and one retry. Each call is typed by its
// operation in the generated schema (Answer<"getCase">, Body<"decideCase">): a request or a
// field the API does not have does not compile. Caching, retries and cancellation are TanStack
// Query's (the `signal` of its query functions is passed through).
import { endSession, getSession, refresh, startSession } from "./session";
import type { AnalyticsQuery, Answer, ApiErrorBody, Body, InboxQuery, User } from "./types";

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** Someone else changed the case (stale expectedVersion). */
  get isConflict(): boolean {
    return this.status === 409 && this.code === "version_conflict";
  }
}

interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "DELETE";
  body?: unknown;
  auth?: boolean;
  signal?: AbortSignal;
}

async function request<T>(path: string, options: RequestOptions = {}, retried = false): Promise<T> {
  const { method = "GET", body, auth = true, signal } = options;
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (auth) {
    const session = getSession();
    if (!session) throw new ApiError(401, "unauthenticated", "Please sign in.");
    headers.Authorization = `Bearer ${session.idToken}`;
  }
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      credentials: "same-origin",
    });
  } catch (error) {
    if ((error as Error).name === "AbortError") throw error;
    throw new ApiError(0, "network_error", "The back office cannot be reached. Check your connection.");
  }
  if (response.status === 401 && auth && !retried) {
    if (await refresh()) return request<T>(path, options, true);
    endSession();
  }
  if (!response.ok) {
    let payload: ApiErrorBody | null = null;
    try {
      payload = (await response.json()) as ApiErrorBody;
    } catch {
      payload = null;
    }
    const error = payload?.error;
    throw new ApiError(
      response.status,
      error?.code ?? `http_${response.status}`,
      error?.message ?? `The request failed (HTTP ${response.status}).`,
      error?.details,
    );
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

function query(params: object): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

const BO = "/api/v1/backoffice";

const enc = encodeURIComponent;

export const api = {
  async login(email: string, password: string): Promise<User> {
    const login: Body<"login"> = { email, password };
    const body = await request<Answer<"login">>("/api/v1/auth/login", { method: "POST", body: login, auth: false });
    startSession(body);
    return body.user;
  },
  /** An invited user's first sign-in: the temporary password, then the one they choose. */
  async setFirstPassword(email: string, temporaryPassword: string, newPassword: string): Promise<User> {
    const first: Body<"newPassword"> = { email, temporaryPassword, newPassword };
    const body = await request<Answer<"newPassword">>("/api/v1/auth/new-password", {
      method: "POST",
      body: first,
      auth: false,
    });
    startSession(body);
    return body.user;
  },
  /** Revokes the refresh tokens on the server (best effort), then forgets the session here. */
  async logout(): Promise<void> {
    try {
      if (getSession()) await request<Answer<"logout">>("/api/v1/auth/logout", { method: "POST", body: {} }, true);
    } catch {
      // Offline or already expired: the local session is dropped either way.
    } finally {
      endSession();
    }
  },
  me: () => request<Answer<"me">>("/api/v1/auth/me"),
  listCases: (params: InboxQuery, signal?: AbortSignal) =>
    request<Answer<"listCases">>(`${BO}/cases${query(params)}`, { signal }),
  getCase: (id: string, signal?: AbortSignal) => request<Answer<"getCase">>(`${BO}/cases/${enc(id)}`, { signal }),
  setAssignee: (id: string, body: Body<"assignCase">) =>
    request<Answer<"assignCase">>(`${BO}/cases/${enc(id)}/assignee`, { method: "PUT", body }),
  // Decisions answer the full CaseView as it is after the decision.
  decideCase: (id: string, body: Body<"decideCase">) =>
    request<Answer<"decideCase">>(`${BO}/cases/${enc(id)}/decision`, { method: "POST", body }),
  // Four-eyes: the checker sends the pending approval back to its maker.
  returnApproval: (id: string, body: Body<"returnApproval">) =>
    request<Answer<"returnApproval">>(`${BO}/cases/${enc(id)}/pending-approval/return`, { method: "POST", body }),
  decideDocument: (id: string, documentId: string, body: Body<"decideDocument">) =>
    request<Answer<"decideDocument">>(`${BO}/cases/${enc(id)}/documents/${enc(documentId)}/decision`, {
      method: "POST",
      body,
    }),
  listNotes: (id: string, signal?: AbortSignal) =>
    request<Answer<"listNotes">>(`${BO}/cases/${enc(id)}/notes`, { signal }),
  addNote: (id: string, body: Body<"addNote">) =>
    request<Answer<"addNote">>(`${BO}/cases/${enc(id)}/notes`, { method: "POST", body }),
  listMessages: (id: string, signal?: AbortSignal) =>
    request<Answer<"listMessages">>(`${BO}/cases/${enc(id)}/messages`, { signal }),
  addMessage: (id: string, body: Body<"addMessage">) =>
    request<Answer<"addMessage">>(`${BO}/cases/${enc(id)}/messages`, { method: "POST", body }),
  // "New link": revokes the open round's links; the answer carries the fresh one.
  renewLink: (id: string, body: Body<"renewLink">) =>
    request<Answer<"renewLink">>(`${BO}/cases/${enc(id)}/collection-link`, { method: "POST", body }),
  // Plugins: a re-run is queued (the result arrives as a new case version); a hit judgement
  // answers the full CaseView.
  rerunPlugin: (id: string, plugin: string) =>
    request<Answer<"rerunPlugin">>(`${BO}/cases/${enc(id)}/plugins/${enc(plugin)}/run`, { method: "POST", body: {} }),
  resolveHit: (id: string, plugin: string, hitId: string, body: Body<"resolveHit">) =>
    request<Answer<"resolveHit">>(`${BO}/cases/${enc(id)}/plugins/${enc(plugin)}/hits/${enc(hitId)}/resolution`, {
      method: "POST",
      body,
    }),
  listAudit: (id: string, signal?: AbortSignal) =>
    request<Answer<"listAudit">>(`${BO}/cases/${enc(id)}/audit`, { signal }),
  /** Who a case can be assigned to: the active users who may decide. */
  listAssignees: (signal?: AbortSignal) => request<Answer<"listAssignees">>(`${BO}/assignees`, { signal }),
  // Tenant administration (users.manage / roles.manage).
  listPermissions: (signal?: AbortSignal) => request<Answer<"listPermissions">>(`${BO}/permissions`, { signal }),
  listRoles: (signal?: AbortSignal) => request<Answer<"listRoles">>(`${BO}/roles`, { signal }),
  createRole: (body: Body<"createRole">) => request<Answer<"createRole">>(`${BO}/roles`, { method: "POST", body }),
  updateRole: (id: string, body: Body<"updateRole">) =>
    request<Answer<"updateRole">>(`${BO}/roles/${enc(id)}`, { method: "PUT", body }),
  deleteRole: (id: string, expectedVersion: number) =>
    request<Answer<"deleteRole">>(`${BO}/roles/${enc(id)}${query({ expectedVersion })}`, { method: "DELETE" }),
  listUsers: (signal?: AbortSignal) => request<Answer<"listUsers">>(`${BO}/users`, { signal }),
  inviteUser: (body: Body<"inviteUser">) => request<Answer<"inviteUser">>(`${BO}/users`, { method: "POST", body }),
  updateUser: (id: string, body: Body<"updateUser">) =>
    request<Answer<"updateUser">>(`${BO}/users/${enc(id)}`, { method: "PUT", body }),
  listAdminAudit: (cursor?: string, signal?: AbortSignal) =>
    request<Answer<"listAdminAudit">>(`${BO}/admin-audit${query({ cursor, limit: 50 })}`, { signal }),
  listWorkflowDefinitions: (signal?: AbortSignal) =>
    request<Answer<"listWorkflowDefinitionsForReviewers">>(`${BO}/workflow-definitions`, { signal }),
  /** One version of a definition as JSON, the newest without `version` (definitions.manage). */
  getDefinition: (definitionId: string, version: number | null, signal?: AbortSignal) =>
    request<Answer<"getDefinition">>(`${BO}/workflow-definitions/${enc(definitionId)}${query({ version })}`, {
      signal,
    }),
  /** Publish a new version of one of the tenant's workflow definitions (definitions.manage). */
  publishDefinition: (body: Body<"publishDefinition">) =>
    request<Answer<"publishDefinition">>(`${BO}/workflow-definitions`, { method: "POST", body }),
  // Case layouts (saving needs layouts.manage): for every version of a definition (version null)
  // or for one version.
  getLayout: (definitionId: string, version: number | null, signal?: AbortSignal) =>
    request<Answer<"getLayout">>(`${BO}/layouts/${enc(definitionId)}${query({ version })}`, { signal }),
  putLayout: (definitionId: string, version: number | null, body: Body<"putLayout">) =>
    request<Answer<"putLayout">>(`${BO}/layouts/${enc(definitionId)}${query({ version })}`, { method: "PUT", body }),
  // Saved inbox views (sharing needs views.share).
  listViews: (signal?: AbortSignal) => request<Answer<"listViews">>(`${BO}/views`, { signal }),
  createView: (body: Body<"createView">) => request<Answer<"createView">>(`${BO}/views`, { method: "POST", body }),
  updateView: (id: string, body: Body<"updateView">) =>
    request<Answer<"updateView">>(`${BO}/views/${enc(id)}`, { method: "PUT", body }),
  deleteView: (id: string, expectedVersion: number) =>
    request<Answer<"deleteView">>(`${BO}/views/${enc(id)}${query({ expectedVersion })}`, { method: "DELETE" }),
  listReasonCodes: (signal?: AbortSignal) => request<Answer<"listReasonCodes">>(`${BO}/reason-codes`, { signal }),
  analyticsSummary: (params: AnalyticsQuery, signal?: AbortSignal) =>
    request<Answer<"analyticsSummary">>(`${BO}/analytics/summary${query(params)}`, { signal }),
  analyticsDaily: (params: AnalyticsQuery, signal?: AbortSignal) =>
    request<Answer<"analyticsDaily">>(`${BO}/analytics/daily${query(params)}`, { signal }),
  analyticsReviewers: (params: AnalyticsQuery, signal?: AbortSignal) =>
    request<Answer<"analyticsReviewers">>(`${BO}/analytics/reviewers${query(params)}`, { signal }),
  /** The CSV export as a file the browser saves (the token goes in a header, never the URL). */
  async downloadAnalytics(params: AnalyticsQuery & { table: "daily" | "reviewers" }): Promise<void> {
    const session = getSession();
    if (!session) throw new ApiError(401, "unauthenticated", "Please sign in.");
    const response = await fetch(`${BO}/analytics/export.csv${query(params)}`, {
      headers: { Authorization: `Bearer ${session.idToken}`, Accept: "text/csv" },
      credentials: "same-origin",
    });
    if (!response.ok) throw new ApiError(response.status, `http_${response.status}`, "The export failed.");
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement("a");
    link.href = url;
    link.download = `analytics-${params.table}-${params.from ?? ""}-${params.to ?? ""}.csv`;
    link.click();
    URL.revokeObjectURL(url);
  },
};

export type Api = typeof api;
