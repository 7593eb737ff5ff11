import type { CaseView } from "../../api/types";
import { DataList } from "../../shared/ui/DataList";
import { PeopleList } from "./PeopleList";

function asPeople(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter((v): v is Record<string, unknown> => typeof v === "object" && v !== null) : [];
}

export function EntityPanel({ view }: { view: CaseView }) {
  const data = view.entity.data ?? {};
  const ubos = view.ubos?.length ? view.ubos : asPeople(data.ubos);
  const directors = view.directors?.length ? view.directors : asPeople(data.directors);
  const isBusiness = view.entity.type === "business";
  return (
    <>
      <section className="panel" aria-labelledby="entity-title">
        <h2 id="entity-title">
          {isBusiness ? "Business details" : "Personal details"}
        </h2>
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
        <DataList data={data} omit={["ubos", "directors"]} />
      </section>
      {(isBusiness || ubos.length > 0) && <PeopleList title="UBOs" people={ubos} />}
      {(isBusiness || directors.length > 0) && <PeopleList title="Directors" people={directors} />}
    </>
  );
}
