import type { LayoutBlock } from "../../api/types";
import { LayoutFields } from "./LayoutFields";

/** A block of named data (custom data, the integrator's results) laid out by its block. */
export function DataPanel({ title, data, block }: { title: string; data: Record<string, unknown>; block: LayoutBlock }) {
  const id = `block-${block.type}`;
  const empty = Object.keys(data).length === 0;
  return (
    <section className="panel" aria-labelledby={id} data-block={block.type}>
      <h2 id={id}>{block.title ?? title}</h2>
      {empty ? (
        <p className="muted">Nothing received.</p>
      ) : (
        <LayoutFields data={data} fields={block.fields ?? []} showUnlisted={block.showUnlisted ?? true} />
      )}
    </section>
  );
}
