import type { CaseDocument } from "../../api/types";
import { humanize } from "../../shared/format";
import { StateBadge } from "../../shared/ui/StateBadge";

interface Props {
  documents: CaseDocument[];
  selected: number;
  onSelect: (index: number) => void;
}

export function DocumentTabs({ documents, selected, onSelect }: Props) {
  return (
    <div className="doc-tabs" role="tablist" aria-label="Documents">
      {documents.map((doc, index) => (
        <button
          key={doc.id}
          type="button"
          role="tab"
          id={`doc-tab-${doc.id}`}
          aria-selected={index === selected}
          aria-controls="document-panel"
          tabIndex={index === selected ? 0 : -1}
          className="doc-tab"
          data-document-id={doc.id}
          onClick={() => onSelect(index)}
          onKeyDown={(event) => {
            if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
              // arrows inside the tab list move between documents, not pages
              event.preventDefault();
              event.stopPropagation();
              const next = (index + (event.key === "ArrowRight" ? 1 : -1) + documents.length) % documents.length;
              onSelect(next);
              document.getElementById(`doc-tab-${documents[next].id}`)?.focus();
            }
          }}
        >
          <span className="doc-tab-name">{humanize(doc.type)}</span>
          <StateBadge state={doc.decision.status} />
        </button>
      ))}
    </div>
  );
}
