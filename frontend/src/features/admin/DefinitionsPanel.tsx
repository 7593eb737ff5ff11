// Workflow definitions (definitions.manage): the bundled ones and the tenant's own, newest version
// each; a JSON editor publishes a new version, and the API's problems are listed by field path.
// Everything is text: the definition is never rendered as HTML.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, ApiError } from "../../api/client";
import { dateTime } from "../../shared/format";
import { notify } from "../../shared/toast";
import { QueryStatus } from "./QueryStatus";

type Problem = { path: string; message: string };

const TEMPLATE = {
  id: "my-onboarding",
  version: 1,
  name: "My onboarding",
  initialState: "manual_review",
  states: {
    manual_review: { tags: ["manual_review"], on: { approve: "approved", reject: "rejected" } },
    approved: { type: "final", tags: ["approved", "resolved"] },
    rejected: { type: "final", tags: ["rejected", "resolved"] },
  },
  events: {
    approve: { source: "reviewer", decision: "approve" },
    reject: { source: "reviewer", decision: "reject" },
  },
  sla: { manual_review: { hours: 24 } },
};

function problemsOf(error: unknown): Problem[] {
  if (error instanceof ApiError && Array.isArray(error.details) && error.details.length > 0) {
    return error.details as Problem[];
  }
  if (error instanceof ApiError) return [{ path: "", message: error.message }];
  return [{ path: "", message: "The definition could not be published. Try again." }];
}

export function DefinitionsPanel() {
  const client = useQueryClient();
  const definitions = useQuery({
    queryKey: ["workflow-definitions"],
    queryFn: ({ signal }) => api.listWorkflowDefinitions(signal),
    staleTime: 0,
  });
  const [text, setText] = useState(() => JSON.stringify(TEMPLATE, null, 2));
  const [problems, setProblems] = useState<Problem[]>([]);
  const [publishing, setPublishing] = useState(false);

  const [loading, setLoading] = useState(false);

  /** The editor starts from what is kept: the tenant's own as its next version, a bundled one
   * as version 1 of a copy under an id of the tenant's own (a bundled id cannot be published). */
  async function startFrom(id: string) {
    setLoading(true);
    try {
      const kept = await api.getDefinition(id, null);
      const next =
        kept.source === "tenant"
          ? { ...kept.definition, version: kept.version + 1 }
          : { ...kept.definition, id: `${id}-own`, name: `${kept.name} (own)`, version: 1 };
      setText(JSON.stringify(next, null, 2));
      setProblems([]);
      document.getElementById("definition-json")?.focus();
    } catch (error) {
      setProblems(problemsOf(error));
    } finally {
      setLoading(false);
    }
  }

  async function publish(event: React.FormEvent) {
    event.preventDefault();
    let definition: unknown;
    try {
      definition = JSON.parse(text);
    } catch (error) {
      setProblems([{ path: "", message: `Not JSON: ${error instanceof Error ? error.message : String(error)}` }]);
      return;
    }
    setPublishing(true);
    try {
      const published = await api.publishDefinition({ definition } as Parameters<typeof api.publishDefinition>[0]);
      setProblems([]);
      notify(`Published ${published.id} version ${published.version}.`, "success");
      void client.invalidateQueries({ queryKey: ["workflow-definitions"] });
      void client.invalidateQueries({ queryKey: ["admin"] });
    } catch (error) {
      setProblems(problemsOf(error));
    } finally {
      setPublishing(false);
    }
  }

  const rows = definitions.data?.data ?? [];
  return (
    <div className="definitions">
      <h2>Workflow definitions</h2>
      <QueryStatus query={definitions} loading="Loading the workflow definitions…" />
      {rows.length > 0 && (
        <table className="admin-table">
          <caption className="visually-hidden">The bundled workflow definitions and the tenant's own</caption>
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">Name</th>
              <th scope="col">Version</th>
              <th scope="col">Source</th>
              <th scope="col">Published</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => (
              <tr key={d.id}>
                <td>
                  <code>{d.id}</code>
                </td>
                <td>{d.name}</td>
                <td>{d.version}</td>
                <td>{d.source === "tenant" ? "Published by the tenant" : "Bundled"}</td>
                <td>{d.publishedAt ? `${dateTime(d.publishedAt)} by ${d.publishedBy ?? "?"}` : "—"}</td>
                <td>
                  <button type="button" onClick={() => void startFrom(d.id)} disabled={loading}>
                    {d.source === "tenant" ? `New version of ${d.id}` : `Start from ${d.id}`}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form onSubmit={publish} aria-labelledby="publish-title">
        <h3 id="publish-title">Publish a version</h3>
        <p className="muted">
          The definition as JSON (docs/workflow-definitions.md). Its <code>version</code> is the next one of its id (1
          for a new id); a bundled id cannot be published over. Running cases stay on their version.
        </p>
        <label htmlFor="definition-json">Definition (JSON)</label>
        <textarea
          id="definition-json"
          rows={14}
          spellCheck={false}
          value={text}
          onChange={(e) => setText(e.target.value)}
          aria-describedby={problems.length > 0 ? "definition-problems" : undefined}
        />
        {problems.length > 0 && (
          // The alert wraps the list: a list with role="alert" would no longer be a list.
          <div id="definition-problems" className="error" role="alert" aria-label="Problems">
            <ul>
              {problems.map((p, i) => (
                <li key={i}>
                  {p.path && <code>{p.path}</code>} {p.message}
                </li>
              ))}
            </ul>
          </div>
        )}
        <div className="row">
          <button type="submit" disabled={publishing}>
            {publishing ? "Publishing…" : "Publish"}
          </button>
        </div>
      </form>
    </div>
  );
}
