// The app's URLs, shared by the screens that link to each other.
export const INBOX_PATH = "/";
export const ANALYTICS_PATH = "/analytics";

export function casePath(id: string): string {
  return `/cases/${encodeURIComponent(id)}`;
}
