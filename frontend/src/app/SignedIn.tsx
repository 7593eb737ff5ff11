import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Navigate, Route, Routes, useLocation, useNavigate, useParams } from "react-router";
import type { SessionData } from "../api/session";
import type { InboxQuery } from "../api/types";
import { InboxPage } from "../features/inbox/InboxPage";
import { queryFromSearch, searchFromQuery } from "../features/inbox/inboxQuery";
import { useInbox } from "../features/inbox/useInbox";
import { casePath, INBOX_PATH } from "../shared/paths";
import { ErrorBoundary } from "../shared/ui/ErrorBoundary";
import { HelpOverlay } from "../shared/ui/HelpOverlay";
import { Toasts } from "../shared/ui/Toasts";
import { useShortcuts } from "../shared/useShortcuts";
import { ADMIN_PATH, canAdminister } from "../features/admin/adminAccess";
import { AppHeader } from "./AppHeader";

// The case view (viewer, decisions, notes, audit) is loaded on demand: the inbox stays small.
// Screens to come (admin, analytics, collect) are lazy routes here too.
const CasePage = lazy(() => import("../features/case/CasePage"));
// Users and roles: only for holders of users.manage / roles.manage, and loaded only by them.
const AdminPage = lazy(() => import("../features/admin/AdminPage"));

export function SignedIn({ session }: { session: SessionData }) {
  const location = useLocation();
  const navigate = useNavigate();
  const onInbox = location.pathname === INBOX_PATH;
  // On the inbox the URL is the query (back/forward and reload keep the filters); the case view
  // keeps the last inbox query, for next/previous case.
  const [inboxSearch, setInboxSearch] = useState(() => (onInbox ? location.search : ""));
  useEffect(() => {
    if (onInbox) setInboxSearch(location.search);
  }, [onInbox, location.search]);
  const search = onInbox ? location.search : inboxSearch;
  const query = useMemo(() => queryFromSearch(new URLSearchParams(search)), [search]);
  const [helpOpen, setHelpOpen] = useState(false);
  const searchRef = useRef<HTMLInputElement>(null);

  const inbox = useInbox(query, onInbox);

  const changeQuery = useCallback(
    (next: InboxQuery) => navigate(`${INBOX_PATH}${searchFromQuery(next)}`, { replace: true }),
    [navigate],
  );
  const searchCases = useCallback(
    (text: string) =>
      navigate(`${INBOX_PATH}${searchFromQuery({ ...query, q: text.trim() || undefined })}`, { replace: onInbox }),
    [navigate, query, onInbox],
  );
  const goToInbox = useCallback(() => navigate(`${INBOX_PATH}${searchFromQuery(query)}`), [navigate, query]);

  const neighbour = useCallback(
    (id: string, step: 1 | -1): string | null => {
      const index = inbox.rows.findIndex((row) => row.id === id);
      if (index === -1) return inbox.rows[0]?.id ?? null;
      return inbox.rows[index + step]?.id ?? null;
    },
    [inbox.rows],
  );
  const openNeighbour = useCallback(
    (id: string, step: 1 | -1): boolean => {
      const target = neighbour(id, step);
      if (target && target !== id) {
        navigate(casePath(target));
        return true;
      }
      return false;
    },
    [neighbour, navigate],
  );

  useShortcuts({
    "?": () => setHelpOpen((open) => !open),
    "/": () => {
      searchRef.current?.focus();
      searchRef.current?.select();
    },
    Escape: (event) => {
      if (helpOpen) setHelpOpen(false);
      else if (event.target instanceof HTMLElement) event.target.blur();
    },
  });

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <AppHeader
        user={session.user}
        searchRef={searchRef}
        searchText={query.q ?? ""}
        onSearch={searchCases}
        onHome={goToInbox}
        onHelp={() => setHelpOpen(true)}
      />
      <main id="main" className="main" tabIndex={-1}>
        <Routes>
          <Route
            path={INBOX_PATH}
            element={<InboxPage inbox={inbox} query={query} onQueryChange={changeQuery} user={session.user} />}
          />
          <Route
            path="/cases/:caseId"
            element={
              <CaseRoute
                session={session}
                neighbour={neighbour}
                openNeighbour={openNeighbour}
                onBackToInbox={goToInbox}
              />
            }
          />
          {canAdminister(session.user) && (
            <Route
              path={`${ADMIN_PATH}/*`}
              element={
                <ErrorBoundary onBack={goToInbox}>
                  <Suspense
                    fallback={
                      <p className="loading" role="status">
                        Loading…
                      </p>
                    }
                  >
                    <AdminPage user={session.user} />
                  </Suspense>
                </ErrorBoundary>
              }
            />
          )}
          <Route path="*" element={<Navigate to={INBOX_PATH} replace />} />
        </Routes>
      </main>
      {helpOpen && <HelpOverlay onClose={() => setHelpOpen(false)} />}
      <Toasts />
    </div>
  );
}

interface CaseRouteProps {
  session: SessionData;
  neighbour: (id: string, step: 1 | -1) => string | null;
  openNeighbour: (id: string, step: 1 | -1) => boolean;
  onBackToInbox: () => void;
}

function CaseRoute({ session, neighbour, openNeighbour, onBackToInbox }: CaseRouteProps) {
  const caseId = useParams().caseId ?? "";
  return (
    <ErrorBoundary key={caseId} onBack={onBackToInbox}>
      <Suspense
        fallback={
          <p className="loading" role="status">
            Loading case…
          </p>
        }
      >
        <CasePage
          key={caseId}
          caseId={caseId}
          user={session.user}
          hasPrevious={neighbour(caseId, -1) !== null}
          hasNext={neighbour(caseId, 1) !== null}
          onPrevious={() => openNeighbour(caseId, -1)}
          onNext={() => openNeighbour(caseId, 1)}
          onBackToInbox={onBackToInbox}
        />
      </Suspense>
    </ErrorBoundary>
  );
}
