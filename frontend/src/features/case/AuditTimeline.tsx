import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api } from "../../api/client";
import type { AuditEntry, CaseDocument } from "../../api/types";
import { asText, dateTime, humanize } from "../../shared/format";
import { caseKeys } from "./useCase";

interface Props {
  caseId: string;
  version: number;
  fallback: AuditEntry[];
  documents: CaseDocument[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const SKIPPED = new Set(["version", "updatedAt", "expectedVersion", "workflowDefinitionVersion", "evidenceDigest"]);

function isIdKey(key: string): boolean {
  return /Ids?$/.test(key) && key !== "documentId";
}

function summary(entry: AuditEntry, documentNames: Map<string, string>): string {
  const parts: string[] = [];
  const before = isRecord(entry.before) ? entry.before : {};
  const after = isRecord(entry.after) ? entry.after : {};
  const details = isRecord(entry.details) ? entry.details : {};
  if (typeof details.assigneeName === "string") parts.push(`To ${details.assigneeName}`);
  // Four-eyes: who made the decision a checker confirmed, returned or found void.
  if (isRecord(details.maker) && typeof details.maker.name === "string" && entry.action !== "case.approval_pending") {
    parts.push(`Maker: ${details.maker.name}`);
  }
  else if ("assigneeId" in after && after.assigneeId === null) parts.push("Unassigned");
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const from = before[key];
    const to = after[key];
    if (SKIPPED.has(key) || isIdKey(key) || asText(from) === asText(to)) continue;
    if (isRecord(to) || Array.isArray(to)) continue;
    parts.push(`${humanize(key)}: ${from === undefined || from === null ? "" : `${asText(from)} → `}${asText(to)}`);
  }
  for (const [key, value] of Object.entries(details)) {
    // A list of words (e.g. what changed since a pending approval): shown as they are.
    if (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === "string")) {
      parts.push(`${humanize(key)}: ${value.join("; ")}`);
      continue;
    }
    if (value === null || value === undefined || isRecord(value) || Array.isArray(value)) continue;
    if (SKIPPED.has(key) || isIdKey(key) || key === "assigneeName" || key in after) continue;
    if (key === "documentId") {
      parts.push(`Document: ${documentNames.get(String(value)) ?? asText(value)}`);
      continue;
    }
    parts.push(`${humanize(key)}: ${asText(value)}`);
  }
  return parts.slice(0, 6).join(" · ");
}

function actorName(entry: AuditEntry): string {
  const actor = entry.actor;
  if (!actor) return "system";
  if (actor.name) return actor.name;
  return actor.id ? `${actor.type} (${actor.id})` : actor.type;
}

export function AuditTimeline({ caseId, version, fallback, documents }: Props) {
  const documentNames = new Map(documents.map((doc) => [doc.id, humanize(doc.type)]));
  // Read again whenever the case's version moves (a change is on its history then).
  const { data } = useQuery({
    queryKey: caseKeys.audit(caseId, version),
    queryFn: ({ signal }) => api.listAudit(caseId, signal),
    placeholderData: keepPreviousData,
    refetchOnWindowFocus: false,
  });
  const shown = [...(data?.data ?? fallback)].sort((a, b) => b.at.localeCompare(a.at));
  return (
    <section className="panel" aria-labelledby="audit-title">
      <h2 id="audit-title">
        History <span className="count">{shown.length}</span>
      </h2>
      {shown.length === 0 ? (
        <p className="muted">Nothing recorded yet.</p>
      ) : (
        // The list scrolls (a long history): focusable, so it scrolls from the keyboard too.
        <ol className="timeline" data-testid="audit-timeline" tabIndex={0} aria-labelledby="audit-title">
          {shown.map((entry) => (
            <li key={entry.id}>
              <p>
                <strong>{humanize(entry.action.replace(/\./g, " "))}</strong>{" "}
                <span className="muted">
                  by {actorName(entry)} · {dateTime(entry.at)}
                </span>
              </p>
              {summary(entry, documentNames) && <p className="muted small">{summary(entry, documentNames)}</p>}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
