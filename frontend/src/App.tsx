import { lazy, Suspense, useCallback, useEffect, useRef, useState } from "react";
import { getSession, subscribe, type SessionData } from "./api/session";
import type { InboxQuery } from "./api/types";
import { AppHeader } from "./components/AppHeader";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { HelpOverlay } from "./components/HelpOverlay";
import { InboxPage } from "./components/InboxPage";
import { LoginPage } from "./components/LoginPage";
import { Toasts } from "./components/Toasts";
import { useInbox } from "./hooks/useInbox";
import { useShortcuts } from "./hooks/useShortcuts";
import { DEFAULT_QUERY, queryFromSearch, sameQuery, searchFromQuery } from "./inboxQuery";
import { casePath, matchCase, navigate, useLocation } from "./router";

// The case view (viewer, decisions, notes, audit) is loaded on demand: the inbox stays small.
const CasePage = lazy(() => import("./components/CasePage"));

export function App() {
  const [session, setSession] = useState<SessionData | null>(getSession);
  useEffect(() => subscribe(setSession), []);
  if (!session) return <LoginPage />;
  return <SignedIn session={session} />;
}

function SignedIn({ session }: { session: SessionData }) {
  const location = useLocation();
  const caseId = matchCase(location.path);
  const onInbox = caseId === null;
  const [query, setQuery] = useState<InboxQuery>(() =>
    onInbox ? queryFromSearch(location.search) : DEFAULT_QUERY,
  );
  const [helpOpen, setHelpOpen] = useState(false);
  const searchRef = useRef<HTMLInputElement>(null);

  // On the inbox the URL is the query (back/forward and reload keep the filters).
  useEffect(() => {
    if (!onInbox) return;
    const fromUrl = queryFromSearch(location.search);
    setQuery((current) => (sameQuery(current, fromUrl) ? current : fromUrl));
  }, [onInbox, location.search]);

  const inbox = useInbox(query, onInbox);

  const changeQuery = useCallback((next: InboxQuery) => {
    setQuery(next);
    navigate(`/${searchFromQuery(next)}`, { replace: true });
  }, []);

  const search = useCallback(
    (text: string) => {
      const next = { ...query, q: text.trim() || undefined };
      setQuery(next);
      navigate(`/${searchFromQuery(next)}`, { replace: onInbox });
    },
    [query, onInbox],
  );

  const goToInbox = useCallback(() => navigate(`/${searchFromQuery(query)}`), [query]);

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
    [neighbour],
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
        onSearch={search}
        onHome={goToInbox}
        onHelp={() => setHelpOpen(true)}
      />
      <main id="main" className="main" tabIndex={-1}>
        {caseId === null ? (
          <InboxPage inbox={inbox} query={query} onQueryChange={changeQuery} user={session.user} />
        ) : (
          <ErrorBoundary key={caseId} onBack={goToInbox}>
          <Suspense fallback={<p className="loading" role="status">Loading case…</p>}>
            <CasePage
              key={caseId}
              caseId={caseId}
              user={session.user}
              hasPrevious={neighbour(caseId, -1) !== null}
              hasNext={neighbour(caseId, 1) !== null}
              onPrevious={() => openNeighbour(caseId, -1)}
              onNext={() => openNeighbour(caseId, 1)}
              onBackToInbox={goToInbox}
              onCaseChanged={() => void inbox.refresh()}
            />
          </Suspense>
          </ErrorBoundary>
        )}
      </main>
      {helpOpen && <HelpOverlay onClose={() => setHelpOpen(false)} />}
      <Toasts />
    </div>
  );
}
