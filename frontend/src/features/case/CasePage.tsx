import { useEffect, useState } from "react";
import { api, ApiError } from "../../api/client";
import type { Answer } from "../../api/types";
import type {
  CaseDocument,
  CaseView,
  CollectionLink,
  DecisionKind,
  HitStatus,
  PersonRef,
  ReasonCodeValue,
  ScreeningHit,
  User,
} from "../../api/types";
import { humanize } from "../../shared/format";
import { notify } from "../../shared/toast";
import { DataPanel } from "../layout/DataPanel";
import { LayoutGrid } from "../layout/LayoutGrid";
import { MissingDocuments } from "../layout/MissingDocuments";
import { useShortcuts } from "../../shared/useShortcuts";
import { AcceptanceCriteria } from "./AcceptanceCriteria";
import { AuditTimeline } from "./AuditTimeline";
import { CaseDecisionBar, type RequestedType } from "./CaseDecisionBar";
import { CaseHeader } from "./CaseHeader";
import { CollectionPanel } from "./CollectionPanel";
import { decisionBlocker, documentDecisionBlocker } from "./decisionRules";
import { DocumentDecisionPanel } from "./DocumentDecisionPanel";
import { DocumentDetails } from "./DocumentDetails";
import { DocumentTabs } from "./DocumentTabs";
import { DocumentViewer } from "./DocumentViewer";
import { EntityPanel } from "./EntityPanel";
import { MessagesPanel } from "./MessagesPanel";
import { NotesPanel } from "./NotesPanel";
import { PendingApproval } from "./PendingApproval";
import { PeopleList } from "./PeopleList";
import { StaleBanner } from "./StaleBanner";
import { useCaseChange, useCaseView, useLatestVersion } from "./useCase";
import { useReasonCodes } from "./useReasonCodes";
import { VendorChecks } from "./VendorChecks";

interface Props {
  caseId: string;
  user: User;
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious: () => boolean;
  onNext: () => boolean;
  onBackToInbox: () => void;
}

const DOC_STATUS: Record<DecisionKind, CaseDocument["decision"]["status"]> = {
  approve: "approved",
  reject: "rejected",
  revision: "revision",
};

const STALE_BLOCKER = "This case changed since you opened it: reload it before deciding.";

export default function CasePage(props: Props) {
  const { data: view, error } = useCaseView(props.caseId);
  if (!view && error) {
    const status = error instanceof ApiError ? error.status : 0;
    return (
      <div className="error-box" role="alert">
        <p>
          {status === 404
            ? "This case does not exist or is not in your tenant."
            : error instanceof ApiError
              ? error.message
              : "The case could not be loaded."}
        </p>
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
  return <CaseScreen {...props} view={view} />;
}

function CaseScreen(props: Props & { view: CaseView }) {
  const { caseId, user, view } = props;
  const { change, busy, conflict, dismissConflict, reload } = useCaseChange(caseId);
  const latest = useLatestVersion(caseId);
  const stale = busy === null && latest !== undefined && latest.version > view.version ? latest : null;
  const [docIndex, setDocIndex] = useState(0);
  const [pageIndex, setPageIndex] = useState(0);
  const [docMode, setDocMode] = useState<"reject" | "revision" | null>(null);
  const [lastReload, setLastReload] = useState(() => Date.now());
  // The open round's link, when this reviewer just created it (the API shows it only once).
  const [link, setLink] = useState<CollectionLink | null>(null);
  const reasonCodes = useReasonCodes();

  useEffect(() => {
    document.title = `${view.entity.name} · KYC/KYB back office`;
  }, [view.entity.name]);

  const documents = view.documents;
  const currentDoc: CaseDocument | undefined = documents[Math.min(docIndex, documents.length - 1)];
  const docBlocker = stale ? STALE_BLOCKER : documentDecisionBlocker(view, user);
  const caseBlocker = stale ? STALE_BLOCKER : decisionBlocker(view, user);
  // A role without `cases.decide` sees no decision controls at all, only what was decided.
  const readOnly = !(user.permissions ?? []).includes("cases.decide");

  const selectDocument = (index: number) => {
    setDocIndex(index);
    setPageIndex(0);
    setDocMode(null);
  };

  async function decideDocument(decision: DecisionKind, reason?: ReasonCodeValue, comment?: string) {
    if (!currentDoc) return;
    const documentId = currentDoc.id;
    const after = await change(
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

  async function decideCase(
    decision: DecisionKind,
    reason?: ReasonCodeValue,
    comment?: string,
    overrideJustification?: string,
    requestDocuments?: RequestedType[],
  ) {
    const after = await change(
      `case-${decision}`,
      (current) => current,
      (current) =>
        api.decideCase(current.id, {
          decision,
          reason,
          comment,
          expectedVersion: current.version,
          ...(overrideJustification ? { overrideCriteria: { justification: overrideJustification } } : {}),
          ...(requestDocuments ? { requestDocuments } : {}),
        }),
    );
    if (!after) return;
    if (after.pendingApproval) {
      // Under four-eyes nothing moved yet (and no request went to the customer).
      notify(`${after.entity.name}: recorded; waiting for a second approval.`, "success");
    } else {
      notify(`${after.entity.name}: case moved to ${humanize(after.state)}.`, "success");
      const sent = (after as Answer<"decideCase">).collectionLink;
      if (decision === "revision" && sent) {
        // The request went to the customer: stay, with its link at hand.
        setLink(sent);
        return;
      }
    }
    // After a decision, on to the next case in the inbox.
    if (!props.onNext()) props.onBackToInbox();
  }

  async function renewLink() {
    const after = await change(
      "renew-link",
      (current) => current,
      (current) => api.renewLink(current.id, { expectedVersion: current.version }),
    );
    const fresh = (after as Answer<"renewLink"> | null)?.collectionLink;
    if (fresh) {
      setLink(fresh);
      notify("A new link was sent to the customer; the old one no longer works.", "success");
    }
  }

  async function resolveHit(plugin: string, hit: ScreeningHit, status: HitStatus, reason: string) {
    const after = await change(
      "resolve-hit",
      (current) => current,
      (current) => api.resolveHit(current.id, plugin, hit.id, { status, reason, expectedVersion: current.version }),
    );
    if (after) notify(status === "dismissed" ? "Hit dismissed." : "Match confirmed.", "success");
  }

  async function rerunPlugin(plugin: string) {
    try {
      await api.rerunPlugin(view.id, plugin);
      notify(`${humanize(plugin)} runs again: its result arrives as a new version of the case.`, "success");
    } catch (error) {
      notify(error instanceof ApiError ? error.message : "The check could not be started.", "error");
    }
  }

  async function returnApproval(comment: string) {
    const maker = view.pendingApproval?.maker.name ?? "its maker";
    const after = await change(
      "return-approval",
      (current) => current,
      (current) => api.returnApproval(current.id, { comment, expectedVersion: current.version }),
    );
    if (after) notify(`Approval returned to ${maker}.`, "success");
  }

  async function assign(assignee: PersonRef | null, message: string) {
    const after = await change(
      "assign",
      (current) => ({ ...current, assignee }),
      (current) => api.setAssignee(current.id, { assigneeId: assignee?.id ?? null, expectedVersion: current.version }),
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
      if (view.permissions.canClaim && view.assignee?.id !== user.id && busy === null) {
        void assign({ id: user.id, name: user.name }, "You claimed the case.");
      }
    },
  });

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
          <button type="button" className="link" onClick={dismissConflict}>
            Dismiss
          </button>
        </div>
      )}
      {stale && !conflict && (
        <StaleBanner
          latest={stale}
          onReload={() => {
            setLastReload(Date.now());
            void reload();
          }}
        />
      )}
      <div className="decision-area">
        <div className="decision-main">
          {readOnly ? (
            <p className="read-only-note" data-testid="case-blocker">
              {caseBlocker}
            </p>
          ) : (
            <CaseDecisionBar
              view={view}
              blocker={caseBlocker}
              busy={busy !== null}
              reasonCodes={reasonCodes}
              onDecide={(decision, reason, comment, justification, requested) =>
                void decideCase(decision, reason, comment, justification, requested)
              }
            />
          )}
          <PendingApproval
            view={view}
            user={user}
            busy={busy !== null || stale !== null}
            onConfirm={(pending) =>
              void decideCase(pending.decision as DecisionKind, (pending.reason ?? undefined) as ReasonCodeValue | undefined)
            }
            onReturn={(comment) => void returnApproval(comment)}
          />
        </div>
      </div>
      <LayoutGrid
        layout={view.layout}
        render={(block) => {
          switch (block.type) {
            case "entity":
              return <EntityPanel view={view} block={block} />;
            case "ubos":
            case "directors": {
              const people = block.type === "ubos" ? view.ubos : view.directors;
              // A person's case has no owners or directors to list: no empty panel for them.
              if (view.entity.type !== "business" && people.length === 0) return null;
              return <PeopleList title={block.type === "ubos" ? "UBOs" : "Directors"} people={people} block={block} />;
            }
            case "vendorResults":
              return (
                <>
                  <VendorChecks
                    results={view.pluginResults ?? []}
                    blocker={readOnly || view.status !== "active" ? "You cannot change this case." : caseBlocker === STALE_BLOCKER ? STALE_BLOCKER : view.permissions.canDecide ? null : "Claim the case to judge its checks."}
                    busy={busy !== null}
                    onResolve={(plugin, hit, status, reason) => void resolveHit(plugin, hit, status, reason)}
                    onRerun={(plugin) => void rerunPlugin(plugin)}
                  />
                  <DataPanel
                    title="Integrator-supplied data (not checked by the back office)"
                    data={view.thirdPartyData}
                    block={block}
                  />
                </>
              );
            case "customData":
              return <DataPanel title="Custom data" data={view.customData} block={block} />;
            case "acceptanceCriteria":
              return <AcceptanceCriteria criteria={view.acceptanceCriteria ?? []} />;
            case "messages":
              return (
                <>
                  <CollectionPanel
                    view={view}
                    link={link}
                    canRenew={caseBlocker === null}
                    busy={busy !== null}
                    onRenew={() => void renewLink()}
                  />
                  <MessagesPanel caseId={view.id} canWrite={view.permissions.canWriteMessages === true} />
                </>
              );
            case "notes":
              return <NotesPanel caseId={view.id} canAddNote={view.permissions.canAddNote} />;
            case "history":
              return (
                <AuditTimeline caseId={view.id} version={view.version} fallback={view.timeline ?? []} documents={documents} />
              );
            case "documents":
              return (
              <section className="panel documents" aria-labelledby="documents-title" data-block="documents">
                <h2 id="documents-title">
                  {block.title ?? "Documents"} <span className="count">{documents.length}</span>
                </h2>
                <MissingDocuments missing={view.missingDocuments ?? []} />
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
                          // Any change in flight (a claim too): one change at a time, and the
                          // buttons say so rather than drop a click.
                          busy={busy !== null}
                          mode={docMode}
                          reasonCodes={reasonCodes}
                          onModeChange={setDocMode}
                          onDecide={(decision, reason, comment) => void decideDocument(decision, reason, comment)}
                          readOnly={readOnly}
                        />
                        <DocumentViewer
                          document={currentDoc}
                          pageIndex={Math.min(pageIndex, Math.max(0, currentDoc.pages.length - 1))}
                          onPageChange={setPageIndex}
                          onUrlExpired={() => {
                            if (Date.now() - lastReload > 30_000) {
                              setLastReload(Date.now());
                              void reload();
                            }
                          }}
                        />
                        <DocumentDetails document={currentDoc} block={block} />
                      </div>
                    </>
                  )
                )}
              </section>
              );
          }
        }}
      />
    </article>
  );
}
