// Shapes of the back-office API (docs/api.md). Unknown extra fields are tolerated everywhere.

export type Role = "admin" | "reviewer" | "viewer";

export interface User {
  id: string;
  email: string;
  name: string;
  roles: Role[];
  tenantId: string;
}

export interface LoginResponse {
  idToken: string;
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: User;
}

export interface RefreshResponse {
  idToken: string;
  accessToken: string;
  expiresIn: number;
  refreshToken?: string;
  user?: User;
}

export interface PersonRef {
  id: string;
  name: string;
}

export type CaseStatus = "active" | "completed" | "failed";
export type EntityType = "individual" | "business";

export interface CaseRow {
  id: string;
  version: number;
  state: string;
  status: CaseStatus;
  tags: string[];
  workflowDefinitionId: string;
  workflowDefinitionVersion: number;
  workflowName: string;
  entity: { id: string; type: EntityType; name: string };
  assignee: PersonRef | null;
  documentCount: number;
  documentsPendingDecision: number;
  flags: unknown;
  createdAt: string;
  updatedAt: string;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export type DecisionKind = "approve" | "reject" | "revision";
export type DocumentDecisionStatus = "pending" | "approved" | "rejected" | "revision";

export interface DocumentPage {
  id: string;
  type: string | null;
  contentType: string | null;
  url: string | null;
  storageStatus: "stored" | "pending" | "failed";
  storageError?: string | null;
  metadata?: Record<string, unknown>;
}

export interface DocumentDecision {
  status: DocumentDecisionStatus;
  reason?: string | null;
  comment?: string | null;
  decidedBy?: PersonRef | null;
  decidedAt?: string | null;
}

export interface CaseDocument {
  id: string;
  type: string;
  category: string;
  issuer: Record<string, unknown> | null;
  properties: Record<string, unknown> | null;
  version: number | null;
  decision: DocumentDecision;
  pages: DocumentPage[];
  pageHistory?: { replacedAt: string | null; pages: DocumentPage[] }[];
}

export interface AuditEntry {
  id: string;
  action: string;
  at: string;
  actor: { type: string; id: string | null; name: string | null } | null;
  before: unknown;
  after: unknown;
  details: unknown;
  requestId?: string | null;
}

export interface CaseDecisionOption {
  allowed: boolean;
  reason?: string | null;
}

export interface CasePermissions {
  canDecide: boolean;
  canClaim: boolean;
  canUnassign: boolean;
  canAssignOthers: boolean;
  canAddNote: boolean;
}

export interface CaseView {
  id: string;
  version: number;
  state: string;
  status: CaseStatus;
  tags: string[];
  workflow: { id: string; version: number; name: string };
  entity: { id: string; type: EntityType; name: string; data: Record<string, unknown> | null };
  ubos: Record<string, unknown>[];
  directors: Record<string, unknown>[];
  documents: CaseDocument[];
  customData: unknown;
  thirdPartyData: unknown;
  assignee: PersonRef | null;
  flags: unknown;
  createdAt: string;
  updatedAt: string;
  resolvedAt: string | null;
  allowedEvents: string[];
  caseDecisions: Partial<Record<DecisionKind, CaseDecisionOption>>;
  permissions: CasePermissions;
  timeline: AuditEntry[];
}

export interface Note {
  id: string;
  text: string;
  author: PersonRef | null;
  createdAt: string;
}

export interface ReasonCode {
  code: string;
  label: string;
}

export interface DecisionRequest {
  decision: DecisionKind;
  reason?: string;
  comment?: string;
  expectedVersion: number;
}

export interface InboxQuery {
  state?: string;
  status?: "active" | "completed" | "failed" | "all";
  assignee?: string; // me | unassigned | me_or_unassigned | any | user id
  workflowDefinitionId?: string;
  entityType?: "" | EntityType;
  q?: string;
  sort?: "createdAt" | "updatedAt";
  order?: "asc" | "desc";
  limit?: number;
  cursor?: string;
}

export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}
