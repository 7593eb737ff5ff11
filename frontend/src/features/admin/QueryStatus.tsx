import { errorText } from "./errors";

/** A failed request or change, said in words (an alert, so screen readers hear it at once). */
export function ErrorAlert({ error }: { error: unknown }) {
  return (
    <p className="error" role="alert">
      {errorText(error)}
    </p>
  );
}

/** Where a list stands while it loads or if it failed; nothing once it is there. */
export function QueryStatus({
  query,
  loading,
}: {
  query: { isPending: boolean; isError: boolean; error: unknown };
  loading: string;
}) {
  if (query.isPending) {
    return (
      <p className="loading" role="status">
        {loading}
      </p>
    );
  }
  return query.isError ? <ErrorAlert error={query.error} /> : null;
}
