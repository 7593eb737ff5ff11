import { Fragment, type ReactNode } from "react";
import type { CaseLayout, LayoutBlock } from "../../api/types";

/** The case's blocks in the layout's order, in its one or two columns. */
export function LayoutGrid({ layout, render }: { layout: CaseLayout; render: (block: LayoutBlock) => ReactNode }) {
  const columns = layout.columns === 1 ? [1] : [1, 2];
  return (
    <div className={columns.length === 1 ? "case-grid one-column" : "case-grid"} data-testid="case-layout">
      {columns.map((column) => (
        <div key={column} className={column === 1 ? "case-left" : "case-right"}>
          {layout.blocks
            .filter((block) => (columns.length === 1 ? true : (block.column ?? 1) === column))
            .map((block) => (
              <Fragment key={block.type}>{render(block)}</Fragment>
            ))}
        </div>
      ))}
    </div>
  );
}
