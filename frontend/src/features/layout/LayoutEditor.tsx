// The case layout editor (layouts.manage): for every version of a workflow definition or for one
// version, blocks in order and columns, fields with label, format, visibility and group, the
// required documents; versions with rollback; a live preview on a real case of the workflow (of
// that version). Every control is a button, input or select: usable from the keyboard.
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api, ApiError } from "../../api/client";
import type { BlockType, CaseLayout, LayoutBlock, LayoutField, LayoutView } from "../../api/types";
import { dateTime, humanize } from "../../shared/format";
import { notify } from "../../shared/toast";
import { LayoutPreview } from "./LayoutPreview";

export const BLOCK_NAMES: Record<BlockType, string> = {
  entity: "Entity details",
  ubos: "UBOs",
  directors: "Directors",
  documents: "Documents",
  vendorResults: "Vendor results",
  customData: "Custom data",
  acceptanceCriteria: "Acceptance criteria",
  notes: "Notes",
  messages: "Messages",
  history: "History",
};
// A documents block's fields are paths into each document's properties.
const FIELD_BLOCKS: BlockType[] = ["entity", "ubos", "directors", "documents", "vendorResults", "customData"];
const FORMATS: NonNullable<LayoutField["format"]>[] = ["text", "date", "money", "country", "percentage", "link", "masked"];

type Problem = { path: string; message: string };

function problemsOf(error: unknown): Problem[] {
  if (error instanceof ApiError && Array.isArray(error.details)) return error.details as Problem[];
  return [{ path: "", message: error instanceof Error ? error.message : "The layout could not be saved." }];
}

export function LayoutEditor() {
  const definitions = useQuery({
    queryKey: ["workflow-definitions"],
    queryFn: ({ signal }) => api.listWorkflowDefinitions(signal),
    staleTime: Infinity,
  });
  const [definitionId, setDefinitionId] = useState("");
  const chosen = definitionId || definitions.data?.data[0]?.id || "";
  // null: the layout for every version of the definition.
  const [definitionVersion, setDefinitionVersion] = useState<number | null>(null);
  const latest = definitions.data?.data.find((d) => d.id === chosen)?.version ?? 1;
  const current = useQuery({
    queryKey: ["layout", chosen, definitionVersion],
    queryFn: ({ signal }) => api.getLayout(chosen, definitionVersion, signal),
    enabled: chosen !== "",
    staleTime: 0,
  });
  const [draft, setDraft] = useState<CaseLayout | null>(null);
  const [saved, setSaved] = useState<LayoutView | null>(null);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    if (current.data) {
      setSaved(current.data);
      setDraft(structuredClone(current.data.layout));
      setProblems([]);
    }
  }, [current.data]);

  async function save(body: { layout?: CaseLayout; rollbackTo?: number }) {
    if (!saved) return;
    setSaving(true);
    try {
      const after = await api.putLayout(chosen, definitionVersion, { ...body, expectedVersion: saved.version });
      setSaved(after);
      setDraft(structuredClone(after.layout));
      setProblems([]);
      notify(`Layout saved as version ${after.version}.`, "success");
    } catch (error) {
      setProblems(problemsOf(error));
    } finally {
      setSaving(false);
    }
  }

  const setBlocks = (blocks: LayoutBlock[]) => draft && setDraft({ ...draft, blocks });
  const blocks = draft?.blocks ?? [];
  const absent = (Object.keys(BLOCK_NAMES) as BlockType[]).filter((type) => !blocks.some((b) => b.type === type));

  return (
    <div className="layout-editor">
      <div className="layout-editor-form">
        <div className="row">
          <label htmlFor="layout-definition">Workflow</label>
          <select
            id="layout-definition"
            value={chosen}
            onChange={(e) => {
              setDefinitionId(e.target.value);
              setDefinitionVersion(null);
            }}
          >
            {(definitions.data?.data ?? []).map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
          </select>
          <label htmlFor="layout-definition-version">For</label>
          <select
            id="layout-definition-version"
            value={definitionVersion ?? ""}
            onChange={(e) => setDefinitionVersion(e.target.value ? Number(e.target.value) : null)}
          >
            <option value="">All versions</option>
            {Array.from({ length: latest }, (_, i) => latest - i).map((version) => (
              <option key={version} value={version}>
                Version {version} only
              </option>
            ))}
          </select>
          {saved && (
            <span className="muted" data-testid="layout-source">
              {saved.source === "tenant"
                ? `version ${saved.version} by ${saved.updatedBy ?? "?"}, ${dateTime(saved.updatedAt)}`
                : saved.source === "tenantAllVersions"
                  ? "the layout for all versions (none of this version's own yet)"
                  : `the ${saved.source} layout (not changed yet)`}
            </span>
          )}
        </div>
        {draft && (
          <form
            aria-label="Case layout"
            onSubmit={(event) => {
              event.preventDefault();
              void save({ layout: draft });
            }}
          >
            <div className="row">
              <label htmlFor="layout-columns">Columns</label>
              <select
                id="layout-columns"
                value={draft.columns ?? 2}
                onChange={(e) => setDraft({ ...draft, columns: Number(e.target.value) as 1 | 2 })}
              >
                <option value={1}>1</option>
                <option value={2}>2</option>
              </select>
            </div>
            <ol className="layout-blocks">
              {blocks.map((block, index) => (
                <BlockEditor
                  key={block.type}
                  block={block}
                  index={index}
                  count={blocks.length}
                  columns={draft.columns ?? 2}
                  onChange={(next) => setBlocks(blocks.map((b, i) => (i === index ? next : b)))}
                  onMove={(step) => {
                    const next = [...blocks];
                    const [moved] = next.splice(index, 1);
                    next.splice(index + step, 0, moved);
                    setBlocks(next);
                  }}
                  onRemove={() => setBlocks(blocks.filter((_, i) => i !== index))}
                />
              ))}
            </ol>
            {absent.length > 0 && (
              <div className="row">
                <label htmlFor="layout-add-block">Add a block</label>
                <select
                  id="layout-add-block"
                  value=""
                  onChange={(e) => e.target.value && setBlocks([...blocks, { type: e.target.value as BlockType }])}
                >
                  <option value="">Choose…</option>
                  {absent.map((type) => (
                    <option key={type} value={type}>
                      {BLOCK_NAMES[type]}
                    </option>
                  ))}
                </select>
              </div>
            )}
            <RequiredDocuments layout={draft} onChange={setDraft} />
            {problems.length > 0 && (
              <ul className="error" role="alert" aria-label="Problems">
                {problems.map((p, i) => (
                  <li key={i}>
                    {p.path && <code>{p.path}</code>} {p.message}
                  </li>
                ))}
              </ul>
            )}
            <div className="row">
              <button type="submit" disabled={saving}>
                {saving ? "Saving…" : "Save layout"}
              </button>
              <button
                type="button"
                className="link"
                onClick={() => saved && setDraft(structuredClone(saved.layout))}
                disabled={saving}
              >
                Discard changes
              </button>
            </div>
          </form>
        )}
        {saved && saved.history.length > 0 && (
          <section aria-labelledby="layout-history-title">
            <h2 id="layout-history-title">Versions</h2>
            <ol className="layout-history">
              {saved.history.map((h) => (
                <li key={h.version}>
                  v{h.version} · {h.author} · {dateTime(h.at)}
                  {h.rolledBackFrom ? ` · rollback to v${h.rolledBackFrom}` : ""}
                  {h.version !== saved.version && (
                    <button
                      type="button"
                      className="link"
                      disabled={saving}
                      onClick={() => void save({ rollbackTo: h.version })}
                    >
                      Roll back to v{h.version}
                    </button>
                  )}
                </li>
              ))}
            </ol>
          </section>
        )}
      </div>
      {draft && chosen && <LayoutPreview definitionId={chosen} definitionVersion={definitionVersion} layout={draft} />}
    </div>
  );
}

interface BlockProps {
  block: LayoutBlock;
  index: number;
  count: number;
  columns: number;
  onChange: (block: LayoutBlock) => void;
  onMove: (step: 1 | -1) => void;
  onRemove: () => void;
}

function BlockEditor({ block, index, count, columns, onChange, onMove, onRemove }: BlockProps) {
  const name = BLOCK_NAMES[block.type];
  const id = `block-${block.type}`;
  const fields = block.fields ?? [];
  const setField = (i: number, field: LayoutField) => onChange({ ...block, fields: fields.map((f, j) => (j === i ? field : f)) });
  return (
    <li className="layout-block" data-block={block.type}>
      <div className="row">
        <strong>{name}</strong>
        <label htmlFor={`${id}-title`} className="visually-hidden">
          Title of {name}
        </label>
        <input
          id={`${id}-title`}
          placeholder="Title"
          value={block.title ?? ""}
          maxLength={80}
          onChange={(e) => onChange({ ...block, title: e.target.value || null })}
        />
        {columns === 2 && (
          <>
            <label htmlFor={`${id}-column`} className="visually-hidden">
              Column of {name}
            </label>
            <select
              id={`${id}-column`}
              value={block.column ?? 1}
              onChange={(e) => onChange({ ...block, column: Number(e.target.value) as 1 | 2 })}
            >
              <option value={1}>Column 1</option>
              <option value={2}>Column 2</option>
            </select>
          </>
        )}
        <button type="button" aria-label={`Move ${name} up`} disabled={index === 0} onClick={() => onMove(-1)}>
          ↑
        </button>
        <button type="button" aria-label={`Move ${name} down`} disabled={index === count - 1} onClick={() => onMove(1)}>
          ↓
        </button>
        <button type="button" className="link" aria-label={`Remove ${name}`} onClick={onRemove}>
          Remove
        </button>
      </div>
      {FIELD_BLOCKS.includes(block.type) && (
        <table className="layout-fields">
          <caption className="visually-hidden">Fields of {name}</caption>
          <thead>
            <tr>
              <th scope="col">Path</th>
              <th scope="col">Label</th>
              <th scope="col">Format</th>
              <th scope="col">Group</th>
              <th scope="col">Hidden</th>
              <th scope="col">
                <span className="visually-hidden">Remove</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {fields.map((field, i) => {
              const shown = field.label || field.path || `field ${i + 1}`;
              return (
                <tr key={i}>
                  <td>
                    <input
                      aria-label={`Path of ${shown} (${name})`}
                      value={field.path}
                      onChange={(e) => setField(i, { ...field, path: e.target.value })}
                    />
                  </td>
                  <td>
                    <input
                      aria-label={`Label of ${shown} (${name})`}
                      value={field.label ?? ""}
                      onChange={(e) => setField(i, { ...field, label: e.target.value || null })}
                    />
                  </td>
                  <td>
                    <select
                      aria-label={`Format of ${shown} (${name})`}
                      value={field.format ?? "text"}
                      onChange={(e) => setField(i, { ...field, format: e.target.value as LayoutField["format"] })}
                    >
                      {FORMATS.map((format) => (
                        <option key={format} value={format}>
                          {humanize(format)}
                        </option>
                      ))}
                    </select>
                    {field.format === "money" && (
                      <input
                        aria-label={`Currency of ${shown} (${name})`}
                        placeholder="EUR"
                        size={4}
                        value={field.currency ?? ""}
                        onChange={(e) => setField(i, { ...field, currency: e.target.value.toUpperCase() || null })}
                      />
                    )}
                  </td>
                  <td>
                    <input
                      aria-label={`Group of ${shown} (${name})`}
                      value={field.group ?? ""}
                      onChange={(e) => setField(i, { ...field, group: e.target.value || null })}
                    />
                  </td>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Hide ${shown} (${name})`}
                      checked={field.hidden ?? false}
                      onChange={(e) => setField(i, { ...field, hidden: e.target.checked })}
                    />
                  </td>
                  <td>
                    <button
                      type="button"
                      className="link"
                      aria-label={`Remove the field ${shown} (${name})`}
                      onClick={() => onChange({ ...block, fields: fields.filter((_, j) => j !== i) })}
                    >
                      ×
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
          <tfoot>
            <tr>
              <td colSpan={6}>
                <button type="button" className="link" onClick={() => onChange({ ...block, fields: [...fields, { path: "" }] })}>
                  Add a field to {name}
                </button>
                <label className="inline">
                  <input
                    type="checkbox"
                    checked={block.showUnlisted ?? true}
                    onChange={(e) => onChange({ ...block, showUnlisted: e.target.checked })}
                  />{" "}
                  Also show other fields of {name}
                </label>
              </td>
            </tr>
          </tfoot>
        </table>
      )}
    </li>
  );
}

function RequiredDocuments({ layout, onChange }: { layout: CaseLayout; onChange: (layout: CaseLayout) => void }) {
  const documents = layout.requiredDocuments ?? [];
  const set = (next: typeof documents) => onChange({ ...layout, requiredDocuments: next });
  return (
    <fieldset className="required-documents">
      <legend>Required documents</legend>
      {documents.map((doc, i) => (
        <div className="row" key={i}>
          <input
            aria-label={`Type of required document ${i + 1}`}
            placeholder="type"
            value={doc.type}
            onChange={(e) => set(documents.map((d, j) => (j === i ? { ...d, type: e.target.value } : d)))}
          />
          <input
            aria-label={`Category of required document ${i + 1}`}
            placeholder="category"
            value={doc.category}
            onChange={(e) => set(documents.map((d, j) => (j === i ? { ...d, category: e.target.value } : d)))}
          />
          <input
            aria-label={`Label of required document ${i + 1}`}
            placeholder="label"
            value={doc.label ?? ""}
            onChange={(e) => set(documents.map((d, j) => (j === i ? { ...d, label: e.target.value || null } : d)))}
          />
          <button type="button" className="link" aria-label={`Remove required document ${i + 1}`} onClick={() => set(documents.filter((_, j) => j !== i))}>
            ×
          </button>
        </div>
      ))}
      <button type="button" className="link" onClick={() => set([...documents, { type: "", category: "" }])}>
        Add a required document
      </button>
    </fieldset>
  );
}
