// A block's data as its layout describes it: listed fields first (labelled, formatted, grouped),
// then, if the layout says so, the rest generically. Always text or a plain link: never HTML.
import type { ReactNode } from "react";
import type { LayoutField } from "../../api/types";
import { asText, humanize } from "../../shared/format";
import { DataList } from "../../shared/ui/DataList";

function valueAt(data: Record<string, unknown>, path: string): unknown {
  let current: unknown = data;
  for (const part of path.split(".")) {
    if (typeof current !== "object" || current === null || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

const regions = (() => {
  try {
    return new Intl.DisplayNames(undefined, { type: "region" });
  } catch {
    return null;
  }
})();

export function formatValue(value: unknown, field: LayoutField): ReactNode {
  switch (field.format) {
    case "date": {
      const date = typeof value === "string" ? new Date(value) : null;
      return date && !Number.isNaN(date.getTime())
        ? date.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" })
        : asText(value);
    }
    case "money":
      if (typeof value !== "number") return asText(value);
      return field.currency
        ? new Intl.NumberFormat(undefined, { style: "currency", currency: field.currency }).format(value)
        : new Intl.NumberFormat().format(value);
    case "percentage":
      return typeof value === "number" ? `${value}%` : asText(value);
    case "country": {
      const code = typeof value === "string" ? value.toUpperCase() : "";
      const name = /^[A-Z]{2}$/.test(code) ? regions?.of(code) : undefined;
      return name && name !== code ? `${name} (${code})` : asText(value);
    }
    case "link": {
      const text = asText(value);
      // Only web addresses become links (never javascript: or data: URLs).
      return /^https?:\/\//i.test(text) ? (
        <a href={text} target="_blank" rel="noopener noreferrer">
          {text}
        </a>
      ) : (
        text
      );
    }
    case "masked":
      return (
        <span className="masked" title="A field the layout masks">
          {asText(value)}
        </span>
      );
    default:
      return asText(value);
  }
}

interface Props {
  data: Record<string, unknown>;
  fields: LayoutField[];
  showUnlisted: boolean;
  /** Keys shown elsewhere (the entity's UBOs and directors have blocks of their own). */
  omit?: string[];
}

export function LayoutFields({ data, fields, showUnlisted, omit = [] }: Props) {
  const listed = fields.filter((field) => !field.hidden && valueAt(data, field.path) !== undefined);
  const groups = new Map<string, LayoutField[]>();
  for (const field of listed) {
    const name = field.group ?? "";
    groups.set(name, [...(groups.get(name) ?? []), field]);
  }
  const taken = new Set([...omit, ...fields.map((field) => field.path.split(".")[0])]);
  const rest = Object.fromEntries(Object.entries(data).filter(([key]) => !taken.has(key)));
  return (
    <>
      {[...groups.entries()].map(([group, members]) => (
        <div className="field-group" key={group || "-"}>
          {group && <h3>{group}</h3>}
          <dl className="data-list">
            {members.map((field) => (
              <div className="data-row" key={field.path} data-field={field.path}>
                <dt>{field.label ?? humanize(field.path.split(".").pop() ?? field.path)}</dt>
                <dd>{formatValue(valueAt(data, field.path), field)}</dd>
              </div>
            ))}
          </dl>
        </div>
      ))}
      {showUnlisted && Object.keys(rest).length > 0 && <DataList data={rest} />}
      {listed.length === 0 && (!showUnlisted || Object.keys(rest).length === 0) && <p className="muted">No data.</p>}
    </>
  );
}
