// Display helpers. Everything returns plain strings; React renders them as text.

export function humanize(value: string): string {
  const spaced = value
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .trim();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

export function age(iso: string, now = Date.now()): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return "";
  const seconds = Math.max(0, Math.round((now - then) / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.round(hours / 24)}d`;
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** A scalar as text; objects and arrays as compact JSON. */
export function asText(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

export function personName(person: Record<string, unknown>): string {
  const first = typeof person.firstName === "string" ? person.firstName : "";
  const last = typeof person.lastName === "string" ? person.lastName : "";
  const full = `${first} ${last}`.trim();
  if (full) return full;
  if (typeof person.name === "string") return person.name;
  return "Unnamed person";
}

/** An API sentence for display: capitalised, `code` quoted. */
export function sentence(text: string): string {
  const quoted = text.replace(/`([^`]*)`/g, "“$1”");
  return quoted.charAt(0).toUpperCase() + quoted.slice(1);
}

export const DECISION_LABELS = {
  approve: "Approve",
  reject: "Reject",
  revision: "Ask for re-upload",
} as const;
