// A tiny history-API router: the app has two screens (inbox, case), not worth a dependency.
import { useEffect, useState } from "react";

export interface Location {
  path: string;
  search: URLSearchParams;
}

const EVENT = "app:navigate";

function read(): Location {
  return { path: window.location.pathname, search: new URLSearchParams(window.location.search) };
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === window.location.pathname + window.location.search) return;
  if (options.replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  window.dispatchEvent(new Event(EVENT));
}

export function useLocation(): Location {
  const [location, setLocation] = useState(read);
  useEffect(() => {
    const update = () => setLocation(read());
    window.addEventListener("popstate", update);
    window.addEventListener(EVENT, update);
    return () => {
      window.removeEventListener("popstate", update);
      window.removeEventListener(EVENT, update);
    };
  }, []);
  return location;
}

export function casePath(id: string): string {
  return `/cases/${encodeURIComponent(id)}`;
}

export function matchCase(path: string): string | null {
  const match = /^\/cases\/([^/]+)\/?$/.exec(path);
  return match ? decodeURIComponent(match[1]) : null;
}
