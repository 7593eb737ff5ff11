// The API's shapes, all taken from the generated schema (schema.d.ts, from ../../openapi.json via
// `npm run gen:api`): a field the API does not have is a type error here and everywhere else.
import type { components, operations } from "./schema";

type Schemas = components["schemas"];

/** The JSON body of an operation's success answer (200 or 201; undefined for 204). */
type JsonOf<R> = R extends { content: { "application/json": infer Body } } ? Body : undefined;
export type Answer<Op extends keyof operations> = operations[Op]["responses"] extends infer R
  ? 200 extends keyof R
    ? JsonOf<R[200]>
    : 201 extends keyof R
      ? JsonOf<R[201]>
      : undefined
  : never;
/** The JSON request body an operation takes. */
export type Body<Op extends keyof operations> = operations[Op] extends {
  requestBody: { content: { "application/json": infer B } };
}
  ? B
  : never;
/** The query parameters an operation takes. */
export type Query<Op extends keyof operations> = operations[Op] extends { parameters: { query?: infer Q } }
  ? NonNullable<Q>
  : never;

export type User = Schemas["Reviewer"];
export type Role = User["roles"][number];
export type LoginResponse = Answer<"login">;
export type RefreshResponse = Answer<"refresh">;
export type PersonRef = Schemas["PersonRef"];
export type CaseRow = Schemas["CaseRow"];
export type CasePage = Answer<"listCases">;
export type CaseView = Schemas["CaseView"];
export type CaseDocument = Schemas["DocumentView"];
export type DocumentPage = Schemas["DocumentPageView"];
export type DocumentDecision = Schemas["DocumentDecisionView"];
export type AuditEntry = Schemas["AuditEntry"];
export type Note = Schemas["NoteView"];
export type Message = Schemas["MessageView"];
export type CollectionRound = Schemas["CollectionRoundView"];
export type PluginResult = Schemas["PluginResultView"];
export type ScreeningHit = Schemas["ScreeningHitView"];
export type HitStatus = Body<"resolveHit">["status"];
export type CollectionLink = Schemas["CollectionLinkView"];
export type ReasonCode = Schemas["ReasonCodeView"];
export type DecisionRequest = Body<"decideCase">;
export type DecisionKind = DecisionRequest["decision"];
export type ReasonCodeValue = NonNullable<DecisionRequest["reason"]>;
export type InboxQuery = Query<"listCases">;
export type RoleView = Schemas["RoleView"];
export type PermissionView = Schemas["PermissionView"];
/** A permission of the catalogue (the checkboxes offer only these). */
export type PermissionName = Schemas["RoleCreateRequest"]["permissions"][number];
export type AdminAuditEntry = Schemas["AdminAuditEntry"];
export type SavedView = Schemas["ViewOut"];
export type InboxFilterSet = Schemas["InboxFilters"];
export type CaseLayout = Schemas["CaseLayout"];
export type LayoutBlock = Schemas["LayoutBlock"];
export type LayoutField = Schemas["LayoutField"];
export type BlockType = LayoutBlock["type"];
export type LayoutView = Answer<"getLayout">;
/** The error envelope, as any answer of the API that is not a success carries it. */
export type ApiErrorBody = JsonOf<operations["getCase"]["responses"][404]>;
export type AnalyticsQuery = Query<"analyticsSummary">;
export type AnalyticsSummary = Answer<"analyticsSummary">;
export type AnalyticsDaily = Answer<"analyticsDaily">;
export type AnalyticsReviewers = Answer<"analyticsReviewers">;
export type ReviewerStats = Schemas["ReviewerRow"];
