// The reviewer's session: tokens live in memory and in this tab's sessionStorage only (never in
// URLs, never in localStorage), and are refreshed shortly before they expire.
import type { LoginResponse, RefreshResponse, User } from "./types";

const STORAGE_KEY = "kyc-backoffice.session";
const REFRESH_MARGIN_MS = 60_000;

export interface SessionData {
  idToken: string;
  refreshToken: string;
  expiresAt: number; // epoch ms
  user: User;
}

type Listener = (session: SessionData | null) => void;

let current: SessionData | null = load();
let refreshTimer: number | undefined;
let refreshing: Promise<boolean> | null = null;
const listeners = new Set<Listener>();

function load(): SessionData | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as SessionData;
    if (!parsed.idToken || !parsed.refreshToken || !parsed.user) return null;
    return parsed;
  } catch {
    return null;
  }
}

function save(session: SessionData | null): void {
  current = session;
  try {
    if (session) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
    else sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // storage unavailable (private mode): memory only
  }
  schedule();
  listeners.forEach((listener) => listener(session));
}

function schedule(): void {
  window.clearTimeout(refreshTimer);
  if (!current) return;
  const delay = Math.max(5_000, current.expiresAt - Date.now() - REFRESH_MARGIN_MS);
  refreshTimer = window.setTimeout(() => void refresh(), delay);
}

export function getSession(): SessionData | null {
  return current;
}

export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function startSession(login: LoginResponse): void {
  save({
    idToken: login.idToken,
    refreshToken: login.refreshToken ?? "",
    expiresAt: Date.now() + login.expiresIn * 1000,
    user: login.user,
  });
}

export function endSession(): void {
  save(null);
}

/** Swap the refresh token for new tokens; false (and the session ends) when that fails. */
export function refresh(): Promise<boolean> {
  if (refreshing) return refreshing;
  const session = current;
  if (!session) return Promise.resolve(false);
  refreshing = (async () => {
    try {
      const response = await fetch("/api/v1/auth/refresh", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refreshToken: session.refreshToken }),
      });
      if (response.status === 401 || response.status === 400 || response.status === 403) {
        endSession();
        return false;
      }
      if (!response.ok) {
        // transient (network, 5xx): keep the session and try again soon
        refreshTimer = window.setTimeout(() => void refresh(), 15_000);
        return false;
      }
      const body = (await response.json()) as RefreshResponse;
      save({
        idToken: body.idToken,
        refreshToken: body.refreshToken ?? session.refreshToken,
        expiresAt: Date.now() + body.expiresIn * 1000,
        user: body.user ?? session.user,
      });
      return true;
    } catch {
      refreshTimer = window.setTimeout(() => void refresh(), 15_000);
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

// A restored session whose token is about to expire is refreshed at once.
schedule();
