import { asText, humanize } from "../format";

const MAX_DEPTH = 4;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Any JSON value as nested definition lists. Always text: never HTML. */
export function DataList({ data, omit = [], depth = 0 }: { data: unknown; omit?: string[]; depth?: number }) {
  if (!isRecord(data)) return <span className="value">{asText(data)}</span>;
  const entries = Object.entries(data).filter(([key]) => !omit.includes(key));
  if (entries.length === 0) return <p className="muted">No data.</p>;
  return (
    <dl className="data-list">
      {entries.map(([key, value]) => (
        <div className="data-row" key={key}>
          <dt>{humanize(key)}</dt>
          <dd>
            <Value value={value} depth={depth} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

function Value({ value, depth }: { value: unknown; depth: number }) {
  if (depth >= MAX_DEPTH) return <code className="value">{asText(value)}</code>;
  if (isRecord(value)) {
    return Object.keys(value).length ? <DataList data={value} depth={depth + 1} /> : <span className="muted">—</span>;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return <span className="muted">none</span>;
    if (value.every((item) => !isRecord(item) && !Array.isArray(item))) {
      return <span className="value">{value.map(asText).join(", ")}</span>;
    }
    return (
      <ol className="data-array">
        {value.map((item, index) => (
          <li key={index}>
            <Value value={item} depth={depth + 1} />
          </li>
        ))}
      </ol>
    );
  }
  return <span className="value">{asText(value)}</span>;
}
