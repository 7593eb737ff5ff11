import type { CaseView } from "../../api/types";
import { humanize } from "../../shared/format";

/** The documents the layout requires that the case lacks, shown as missing. */
export function MissingDocuments({ missing }: { missing: NonNullable<CaseView["missingDocuments"]> }) {
  if (missing.length === 0) return null;
  return (
    <ul className="missing-documents" aria-label="Missing documents">
      {missing.map((doc) => (
        <li key={`${doc.type}/${doc.category}`}>
          <span className="badge badge-warn">missing</span> {doc.label ?? humanize(doc.type)}
          <span className="muted"> · {humanize(doc.category)}</span>
        </li>
      ))}
    </ul>
  );
}
