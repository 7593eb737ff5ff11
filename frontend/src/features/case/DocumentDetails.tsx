import type { CaseDocument, LayoutBlock } from "../../api/types";
import { LayoutFields } from "../layout/LayoutFields";
import { dateTime, humanize } from "../../shared/format";
import { DataList } from "../../shared/ui/DataList";

/** A document's details; its `properties` laid out by the documents block's fields. */
export function DocumentDetails({ document: doc, block }: { document: CaseDocument; block: LayoutBlock }) {
  const properties = doc.properties ?? {};
  return (
    <div className="doc-details">
      <section aria-labelledby="doc-props-title">
        <h3 id="doc-props-title">Properties</h3>
        <dl className="data-list">
          <div className="data-row">
            <dt>Type</dt>
            <dd>{humanize(doc.type)}</dd>
          </div>
          <div className="data-row">
            <dt>Category</dt>
            <dd>{humanize(doc.category)}</dd>
          </div>
          {doc.version !== null && doc.version !== undefined && (
            <div className="data-row">
              <dt>Version</dt>
              <dd>{doc.version}</dd>
            </div>
          )}
        </dl>
        {Object.keys(properties).length > 0 && (
          <LayoutFields data={properties} fields={block.fields ?? []} showUnlisted={block.showUnlisted ?? true} />
        )}
      </section>
      <section aria-labelledby="doc-issuer-title">
        <h3 id="doc-issuer-title">Issuer</h3>
        <DataList data={doc.issuer ?? {}} />
      </section>
      {doc.pageHistory && doc.pageHistory.length > 0 && (
        <p className="muted">
          Earlier submissions: {doc.pageHistory.length} (last replaced {dateTime(doc.pageHistory[0].replacedAt)})
        </p>
      )}
    </div>
  );
}
