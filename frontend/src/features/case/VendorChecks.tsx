import { useState } from "react";
import type { HitStatus, PluginResult, ScreeningHit } from "../../api/types";
import { humanize } from "../../shared/format";
import { DataList } from "../../shared/ui/DataList";

interface Props {
  results: PluginResult[];
  /** Null: this reviewer may not judge hits or re-run checks now (the reason is shown). */
  blocker: string | null;
  busy: boolean;
  onResolve: (plugin: string, hit: ScreeningHit, status: HitStatus, reason: string) => void;
  onRerun: (plugin: string) => void;
}

interface ComparisonRow {
  field: string;
  declared: unknown;
  registry: unknown;
  match: boolean | null;
}

/** The checks the back office ran (system-owned results): screening hits to judge, registry
 * data beside what the customer declared, anything else as data. Every value is text. */
export function VendorChecks({ results, blocker, busy, onResolve, onRerun }: Props) {
  if (results.length === 0) return null;
  return (
    <section className="panel vendor-checks" aria-labelledby="vendor-checks-title" data-testid="vendor-checks">
      <h2 id="vendor-checks-title">Vendor checks</h2>
      {results.map((result) => (
        <article key={result.plugin} className="vendor-check" data-testid={`plugin-${result.plugin}`}>
          <header className="vendor-check-header">
            <h3>
              {humanize(result.plugin)} <span className={`check-status ${result.status}`}>{result.status}</span>
            </h3>
            <p className="muted">
              {result.provider}
              {result.providerVersion ? ` · ${result.providerVersion}` : ""} · run {result.version} ·{" "}
              {new Date(result.finishedAt).toLocaleString()}
            </p>
            {blocker === null && (
              <button type="button" disabled={busy} onClick={() => onRerun(result.plugin)}>
                Run again
              </button>
            )}
          </header>
          {result.error && (
            <p className="error-text" role="status">
              {result.error}
            </p>
          )}
          {result.provider === "sanctions" && result.status === "succeeded" && (
            <SanctionsHits
              plugin={result.plugin}
              hits={result.hits ?? []}
              blocker={blocker}
              busy={busy}
              onResolve={onResolve}
            />
          )}
          {result.provider === "registry" && result.status === "succeeded" && <RegistryComparison data={result.data} />}
          {result.provider === "http" && result.status === "succeeded" && <VendorAnswer data={result.data} />}
        </article>
      ))}
    </section>
  );
}

function SanctionsHits(props: {
  plugin: string;
  hits: ScreeningHit[];
  blocker: string | null;
  busy: boolean;
  onResolve: Props["onResolve"];
}) {
  const { hits } = props;
  if (hits.length === 0) return <p data-testid="no-hits">No hits.</p>;
  return (
    <ul className="hit-list">
      {hits.map((hit) => (
        <HitItem key={hit.id} {...props} hit={hit} />
      ))}
    </ul>
  );
}

function HitItem(props: {
  plugin: string;
  hit: ScreeningHit;
  blocker: string | null;
  busy: boolean;
  onResolve: Props["onResolve"];
}) {
  const { plugin, hit, blocker, busy, onResolve } = props;
  const [reason, setReason] = useState("");
  const reasonId = `hit-reason-${hit.id}`;
  const resolution = hit.resolution;
  return (
    <li className={`hit ${resolution ? resolution.status : "unresolved"}`} data-testid={`hit-${hit.id}`}>
      <p>
        <strong>{hit.entryName}</strong> ({hit.entryKind}) · score {hit.score.toFixed(1)} · {hit.listId}{" "}
        <span className="muted">v{hit.listVersion}</span>
      </p>
      <p className="muted">
        Screened: {hit.subject.name} ({hit.subject.role}) · matched: {hit.matchedFields.join(", ")}
        {hit.topics.length > 0 ? ` · ${hit.topics.join(", ")}` : ""}
      </p>
      {resolution ? (
        <p data-testid="hit-resolution">
          {resolution.status === "dismissed" ? "Dismissed as a false positive" : "Confirmed match"} by {resolution.by.name}:{" "}
          {resolution.reason}
        </p>
      ) : blocker !== null ? (
        <p className="muted">Unresolved. {blocker}</p>
      ) : (
        <form
          className="hit-actions"
          onSubmit={(event) => event.preventDefault()}
          aria-label={`Judge the hit ${hit.entryName}`}
        >
          <label htmlFor={reasonId}>Reason (required)</label>
          <input id={reasonId} value={reason} maxLength={1000} onChange={(event) => setReason(event.target.value)} />
          <button
            type="button"
            disabled={busy || reason.trim() === ""}
            onClick={() => onResolve(plugin, hit, "dismissed", reason.trim())}
          >
            Dismiss as false positive
          </button>
          <button
            type="button"
            className="danger"
            disabled={busy || reason.trim() === ""}
            onClick={() => onResolve(plugin, hit, "confirmed", reason.trim())}
          >
            Confirm match
          </button>
        </form>
      )}
    </li>
  );
}

/** A generic vendor's answer, under this check's heading (a failed call has none to show). */
function VendorAnswer({ data }: { data: Record<string, unknown> }) {
  return (
    <>
      <h4>Answer</h4>
      <DataList data={data} />
    </>
  );
}

function RegistryComparison({ data }: { data: Record<string, unknown> }) {
  if (data.found !== true) return <p data-testid="registry-not-found">Not found in the registry.</p>;
  const rows = (Array.isArray(data.comparison) ? data.comparison : []) as ComparisonRow[];
  return (
    <table className="registry-comparison" data-testid="registry-comparison">
      <caption>Registry record beside what the customer declared</caption>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Declared</th>
          <th scope="col">Registry</th>
          <th scope="col">Match</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.field} className={row.match === false ? "mismatch" : undefined} data-match={String(row.match)}>
            <th scope="row">{humanize(row.field)}</th>
            <td>{text(row.declared)}</td>
            <td>{text(row.registry)}</td>
            <td>{row.match === null ? "not declared" : row.match ? "✓ matches" : "✗ differs"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function text(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (Array.isArray(value)) return value.map(String).join(", ");
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}
