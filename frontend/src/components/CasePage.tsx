import { useCallback, useEffect, useRef, useState } from "react";
import { api, ApiError } from "../api/client";
import type { CaseDocument, CaseView, DecisionKind, PersonRef, User } from "../api/types";
import { decisionBlocker, documentDecisionBlocker } from "../decisionRules";
import { humanize } from "../format";
import { useReasonCodes } from "../hooks/useReasonCodes";
import { useShortcuts } from "../hooks/useShortcuts";
import { notify } from "../toast";
import { AuditTimeline } from "./AuditTimeline";
import { CaseDecisionBar } from "./CaseDecisionBar";
import { CaseHeader } from "./CaseHeader";
import { DataBlock } from "./DataBlock";
import { DocumentDecisionPanel } from "./DocumentDecisionPanel";
import { DocumentDetails } from "./DocumentDetails";
import { DocumentTabs } from "./DocumentTabs";
import { DocumentViewer } from "./DocumentViewer";
import { EntityPanel } from "./EntityPanel";
import { NotesPanel } from "./NotesPanel";

interface Props {
  caseId: string;
  user: User;
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious: () => boolean;
  onNext: () => boolean;
  onBackToInbox: () => void;
  onCaseChanged: () => void;
}

const CONFLICT_MESSAGE =
  "Someone else changed this case while you were looking at it. Your change was not saved; the latest version is shown now. Please check it and decide again.";

const DOC_STATUS: Record<DecisionKind, CaseDocument["decision"]["status"]> = {
  approve: "approved",
  reject: "rejected",
  revision: "revision",
};

export default function CasePage(props: Props) {
  const { caseId, user, onCaseChanged } = props;
  const [view, setView] = useState<CaseView | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [conflict, setConflict] = useState<string | null>(null);
  const [docIndex, setDocIndex] = useState(0);
  const [pageIndex, setPageIndex] = useState(0);
  const [docMode, setDocMode] = useState<"reject" | "revision" | null>(null);
  const reasonCodes = useReasonCodes();
  const viewRef = useRef<CaseView | null>(null);
  viewRef.current = view;
  const lastReload = useRef(0);

  const reload = useCallback(async () => {
    lastReload.current = Date.now();
    try {
      const fresh = await api.getCase(caseId);
      // an answer overtaken by a newer one (e.g. a decision saved meanwhile) is dropped
      setView((current) => (current && current.version > fresh.version ? current : fresh));
      setLoadError(null);
    } catch (error) {
      if (error instanceof ApiError) setLoadError(error);
      else setLoadError(new ApiError(0, "error", "The case could not be loaded."));
    }
  }, [caseId]);

  useEffect(() => {
    void reload();
  }, [reload]);

  // Page links are presigned for at most 5 minutes, and others may change the case: re-read it
  // every 4 minutes while the tab is visible and nothing is being saved.
  const busyRef = useRef(false);
  busyRef.current = busy !== null;
  useEffect(() => {
    const timer = window.setInterval(() => {
      if (document.visibilityState === "visible" && !busyRef.current) void reload();
    }, 240_000);
    return () => window.clearInterval(timer);
  }, [reload]);

  useEffect(() => {
    if (view) document.title = `${view.entity.name} · KYC/KYB back office`;
  }, [view?.entity.name]);

  /** Optimistic change: show it at once, replace it with the server's answer, roll back on error. */
  const mutate = useCallback(
    async (
      label: string,
      optimistic: (current: CaseView) => CaseView,
      call: (current: CaseView) => Promise<CaseView>,
    ): Promise<CaseView | null> => {
      const before = viewRef.current;
      if (!before) return null;
      setBusy(label);
      setConflict(null);
      setView(optimistic(before));
      try {
        const after = await call(before);
        setView(after);
        onCaseChanged();
        return after;
      } catch (error) {
        setView(before);
        if (error instanceof ApiError && error.status === 409) {
          setConflict(error.code === "version_conflict" ? CONFLICT_MESSAGE : `${error.message} The latest version is shown now.`);
          void reload();
        } else if (error instanceof ApiError && error.status === 403) {
          notify(error.message || "You are not allowed to do that.", "error");
          void reload();
        } else {
          notify(error instanceof ApiError ? error.message : "The change could not be saved.", "error");
        }
        return null;
      } finally {
        setBusy(null);
      }
    },
    [onCaseChanged, reload],
  );

  const documents = view?.documents ?? [];
  const currentDoc: CaseDocument | undefined = documents[Math.min(docIndex, documents.length - 1)];
  const docBlocker = view ? documentDecisionBlocker(view, user) : null;
  const caseBlocker = view ? decisionBlocker(view, user) : null;

  const selectDocument = (index: number) => {
    setDocIndex(index);
    setPageIndex(0);
    setDocMode(null);
  };

  async function decideDocument(decision: DecisionKind, reason?: string, comment?: string) {
    if (!currentDoc || !view) return;
    const documentId = currentDoc.id;
    const after = await mutate(
      `document-${decision}`,
      (current) => ({
        ...current,
        documents: current.documents.map((doc) =>
          doc.id === documentId
            ? { ...doc, decision: { status: DOC_STATUS[decision], reason, comment, decidedBy: { id: user.id, name: user.name } } }
            : doc,
        ),
      }),
      (current) => api.decideDocument(current.id, documentId, { decision, reason, comment, expectedVersion: current.version }),
    );
    if (!after) return;
    setDocMode(null);
    notify(`${humanize(currentDoc.type)}: ${humanize(DOC_STATUS[decision])}.`, "success");
    if (after.state !== view.state) {
      // The document decision decided the case (a re-upload request, or auto-resolution):
      // on to the next case, as after a case decision.
      notify(`${after.entity.name}: case moved to ${humanize(after.state)}.`, "success");
      if (!props.onNext()) props.onBackToInbox();
      return;
    }
    // Move on to the next document that still needs a decision.
    const order = after.documents.map((_, i) => (docIndex + 1 + i) % after.documents.length);
    const next = order.find((i) => after.documents[i].decision.status === "pending");
    if (next !== undefined && next !== docIndex) selectDocument(next);
  }

  async function decideCase(decision: DecisionKind, reason?: string, comment?: string) {
    const after = await mutate(
      `case-${decision}`,
      (current) => current,
      (current) => api.decideCase(current.id, { decision, reason, comment, expectedVersion: current.version }),
    );
    if (!after) return;
    notify(`${after.entity.name}: case moved to ${humanize(after.state)}.`, "success");
    // After a decision, on to the next case in the inbox.
    if (!props.onNext()) props.onBackToInbox();
  }

  async function assign(assignee: PersonRef | null, message: string) {
    const after = await mutate(
      "assign",
      (current) => ({ ...current, assignee }),
      (current) => api.setAssignee(current.id, assignee?.id ?? null, current.version),
    );
    if (after) notify(message, "success");
  }

  const canUseDocKeys = !!currentDoc && docBlocker === null && busy === null;
  useShortcuts({
    j: () => props.onNext(),
    k: () => props.onPrevious(),
    a: () => canUseDocKeys && void decideDocument("approve"),
    r: () => canUseDocKeys && setDocMode("reject"),
    u: () => canUseDocKeys && setDocMode("revision"),
    c: () => {
      if (view?.permissions.canClaim && view.assignee?.id !== user.id && busy === null) {
        void assign({ id: user.id, name: user.name }, "You claimed the case.");
      }
    },
  });

  if (loadError && !view) {
    return (
      <div className="error-box" role="alert">
        <p>{loadError.status === 404 ? "This case does not exist or is not in your tenant." : loadError.message}</p>
        <button type="button" onClick={props.onBackToInbox}>
          Back to the inbox
        </button>
      </div>
    );
  }
  if (!view) {
    return (
      <p className="loading" role="status">
        Loading case…
      </p>
    );
  }

  return (
    <article className="case" aria-label={`Case ${view.entity.name}`} data-case-id={view.id} data-state={view.state}>
      <CaseHeader
        view={view}
        user={user}
        busy={busy !== null}
        hasPrevious={props.hasPrevious}
        hasNext={props.hasNext}
        onPrevious={props.onPrevious}
        onNext={props.onNext}
        onBackToInbox={props.onBackToInbox}
        onAssign={(assignee, message) => void assign(assignee, message)}
      />
      {conflict && (
        <div className="conflict" role="alert" data-testid="conflict">
          <p>{conflict}</p>
          <button type="button" className="link" onClick={() => setConflict(null)}>
            Dismiss
          </button>
        </div>
      )}
      <CaseDecisionBar
        view={view}
        blocker={caseBlocker}
        busy={busy !== null}
        reasonCodes={reasonCodes}
        onDecide={(decision, reason, comment) => void decideCase(decision, reason, comment)}
      />
      <div className="case-grid">
        <div className="case-left">
          <EntityPanel view={view} />
          <DataBlock title="Integrator-supplied data (not checked by the back office)" data={view.thirdPartyData} />
          <DataBlock title="Custom data" data={view.customData} />
          <NotesPanel caseId={view.id} canAddNote={view.permissions.canAddNote} onAdded={() => void reload()} />
          <AuditTimeline caseId={view.id} version={view.version} fallback={view.timeline ?? []} documents={documents} />
        </div>
        <div className="case-right">
          <section className="panel documents" aria-labelledby="documents-title">
            <h2 id="documents-title">
              Documents <span className="count">{documents.length}</span>
            </h2>
            {documents.length === 0 ? (
              <p className="muted">This case has no documents.</p>
            ) : (
              currentDoc && (
                <>
                  <DocumentTabs documents={documents} selected={docIndex} onSelect={selectDocument} />
                  <div id="document-panel" role="tabpanel" aria-labelledby={`doc-tab-${currentDoc.id}`} className="doc-panel">
                    <DocumentDecisionPanel
                      document={currentDoc}
                      blocker={docBlocker}
                      busy={busy?.startsWith("document-") ?? false}
                      mode={docMode}
                      reasonCodes={reasonCodes}
                      onModeChange={setDocMode}
                      onDecide={(decision, reason, comment) => void decideDocument(decision, reason, comment)}
                    />
                    <DocumentViewer
                      document={currentDoc}
                      pageIndex={Math.min(pageIndex, Math.max(0, currentDoc.pages.length - 1))}
                      onPageChange={setPageIndex}
                      onUrlExpired={() => {
                        if (Date.now() - lastReload.current > 30_000) void reload();
                      }}
                    />
                    <DocumentDetails document={currentDoc} />
                  </div>
                </>
              )
            )}
          </section>
        </div>
      </div>
    </article>
  );
}
