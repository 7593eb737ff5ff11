import { DataList } from "./DataList";

function isEmpty(data: unknown): boolean {
  if (data === null || data === undefined) return true;
  if (Array.isArray(data)) return data.length === 0;
  return typeof data === "object" && Object.keys(data as object).length === 0;
}

export function DataBlock({ title, data }: { title: string; data: unknown }) {
  const id = `block-${title.toLowerCase().replace(/\W+/g, "-")}`;
  return (
    <section className="panel" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {isEmpty(data) ? <p className="muted">Nothing received.</p> : <DataList data={data} />}
    </section>
  );
}
