// The editor's live preview: the draft layout over a real case of the workflow, as the case
// view will show it (data the saved layout hides is not sent, so it cannot be previewed either).
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api } from "../../api/client";
import type { CaseLayout } from "../../api/types";
import { humanize } from "../../shared/format";
import { EntityPanel } from "../case/EntityPanel";
import { PeopleList } from "../case/PeopleList";
import { DataPanel } from "./DataPanel";
import { BLOCK_NAMES } from "./LayoutEditor";
import { LayoutGrid } from "./LayoutGrid";
import { MissingDocuments } from "./MissingDocuments";
import { missingDocuments } from "./missingDocuments";

interface Props {
  definitionId: string;
  definitionVersion: number | null; // null: any version
  layout: CaseLayout;
}

export function LayoutPreview({ definitionId, definitionVersion, layout }: Props) {
  const cases = useQuery({
    queryKey: ["layout-preview-cases", definitionId],
    queryFn: ({ signal }) =>
      api.listCases({ workflowDefinitionId: definitionId, status: "all", assignee: "any", limit: 50 }, signal),
  });
  const rows = (cases.data?.data ?? []).filter(
    (row) => definitionVersion === null || row.workflowDefinitionVersion === definitionVersion,
  );
  const [picked, setPicked] = useState("");
  const caseId = rows.some((row) => row.id === picked) ? picked : rows[0]?.id || "";
  const view = useQuery({
    queryKey: ["layout-preview-case", caseId],
    queryFn: ({ signal }) => api.getCase(caseId, signal),
    enabled: caseId !== "",
  });
  return (
    <section className="layout-preview" aria-labelledby="layout-preview-title">
      <div className="row">
        <h2 id="layout-preview-title">Preview</h2>
        <label htmlFor="layout-preview-case">Case</label>
        <select id="layout-preview-case" value={caseId} onChange={(e) => setPicked(e.target.value)}>
          {rows.map((row) => (
            <option key={row.id} value={row.id}>
              {row.entity.name}
            </option>
          ))}
        </select>
      </div>
      {cases.data && rows.length === 0 && <p className="muted">No case of this workflow (version) yet.</p>}
      {view.data && (
        <div className="case preview" data-testid="layout-preview">
          <LayoutGrid
            layout={layout}
            render={(block) => {
              const data = view.data;
              switch (block.type) {
                case "entity":
                  return <EntityPanel view={data} block={block} />;
                case "ubos":
                  return <PeopleList title="UBOs" people={data.ubos} block={block} />;
                case "directors":
                  return <PeopleList title="Directors" people={data.directors} block={block} />;
                case "vendorResults":
                  return <DataPanel title="Vendor results" data={data.thirdPartyData} block={block} />;
                case "customData":
                  return <DataPanel title="Custom data" data={data.customData} block={block} />;
                default:
                  return (
                    <section className="panel" aria-label={`${block.title ?? BLOCK_NAMES[block.type]} (preview)`}>
                      <h2>{block.title ?? BLOCK_NAMES[block.type]}</h2>
                      {block.type === "documents" ? (
                        <>
                          <MissingDocuments missing={missingDocuments(layout, data.documents)} />
                          <ul>
                            {data.documents.map((doc) => (
                              <li key={doc.id}>
                                {humanize(doc.type)} <span className="muted">· {humanize(doc.category)}</span>
                              </li>
                            ))}
                          </ul>
                        </>
                      ) : (
                        <p className="muted">Shown here on the case.</p>
                      )}
                    </section>
                  );
              }
            }}
          />
        </div>
      )}
    </section>
  );
}
