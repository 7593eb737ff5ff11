import type { CaseView, LayoutBlock } from "../../api/types";
import { LayoutFields } from "../layout/LayoutFields";

export function EntityPanel({ view, block }: { view: CaseView; block: LayoutBlock }) {
  const isBusiness = view.entity.type === "business";
  return (
    <section className="panel" aria-labelledby="entity-title" data-block="entity">
      <h2 id="entity-title">{block.title ?? (isBusiness ? "Business details" : "Personal details")}</h2>
      <dl className="data-list">
        <div className="data-row">
          <dt>Name</dt>
          <dd data-testid="entity-name">{view.entity.name}</dd>
        </div>
        <div className="data-row">
          <dt>Entity id</dt>
          <dd>
            <code>{view.entity.id}</code>
          </dd>
        </div>
      </dl>
      <LayoutFields
        data={view.entity.data ?? {}}
        fields={block.fields ?? []}
        showUnlisted={block.showUnlisted ?? true}
        // Shown elsewhere: the people in blocks of their own, the company's name above.
        omit={isBusiness ? ["ubos", "directors", "companyName"] : ["ubos", "directors"]}
      />
    </section>
  );
}
