import { QueryClientProvider } from "@tanstack/react-query";
import { lazy, Suspense, useEffect, useState } from "react";
import { BrowserRouter } from "react-router";
import { getSession, subscribe, type SessionData } from "../api/session";
import { queryClient } from "./queryClient";
import { SignedIn } from "./SignedIn";

// Every screen but the inbox is loaded on demand: the first download stays small.
const LoginPage = lazy(() => import("../features/auth/LoginPage"));
// The customer's page (a collection link): no reviewer session at all.
const CollectPage = lazy(() => import("../features/collect/CollectPage"));
const COLLECT_PATH = /^\/collect\/([^/]+)\/?$/;

const loading = (
  <p className="loading" role="status">
    Loading…
  </p>
);

export function App() {
  const collect = COLLECT_PATH.exec(window.location.pathname);
  if (collect) {
    return (
      <Suspense fallback={loading}>
        <CollectPage token={decodeURIComponent(collect[1])} />
      </Suspense>
    );
  }
  return <BackOffice />;
}

function BackOffice() {
  const [session, setSession] = useState<SessionData | null>(getSession);
  useEffect(
    () =>
      subscribe((next) => {
        if (!next) queryClient.clear();
        setSession(next);
      }),
    [],
  );
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        {session ? (
          <SignedIn session={session} />
        ) : (
          <Suspense fallback={loading}>
            <LoginPage />
          </Suspense>
        )}
      </BrowserRouter>
    </QueryClientProvider>
  );
}
