import type { CaseDocument, CaseLayout } from "../../api/types";

/** The draft layout's required documents the case lacks (the API answers them for the saved one). */
export function missingDocuments(layout: CaseLayout, documents: CaseDocument[]) {
  const have = new Set(documents.map((doc) => `${doc.type}/${doc.category}`));
  return (layout.requiredDocuments ?? []).filter((doc) => !have.has(`${doc.type}/${doc.category}`));
}
