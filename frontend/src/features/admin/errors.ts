import { ApiError } from "../../api/client";

/** What went wrong, in words: the API's message plus the field it names, if any. */
export function errorText(error: unknown): string {
  if (!(error instanceof ApiError)) return "Something went wrong. Try again.";
  if (error.isConflict) return "Someone else changed this meanwhile. The list is reloaded: try again.";
  const details = error.details;
  if (Array.isArray(details) && details.length > 0) {
    return details
      .map((d) => {
        const item = d as { path?: unknown; message?: unknown };
        return `${String(item.path ?? "")}: ${String(item.message ?? "")}`;
      })
      .join("; ");
  }
  return error.message;
}
