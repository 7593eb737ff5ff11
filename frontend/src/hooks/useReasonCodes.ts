// The API's reason codes (cached for the session); the documented list until they arrive.
import { useEffect, useState } from "react";
import { api } from "../api/client";
import type { ReasonCode } from "../api/types";

export const FALLBACK_REASON_CODES: ReasonCode[] = [
  { code: "blurry_or_unreadable", label: "Blurry or unreadable" },
  { code: "expired", label: "Expired" },
  { code: "altered_or_fake", label: "Altered or fake" },
  { code: "wrong_document_type", label: "Wrong document type" },
  { code: "data_mismatch", label: "Data does not match" },
  { code: "missing_pages", label: "Missing pages" },
  { code: "other", label: "Other (explain in the comment)" },
];

let cache: Promise<ReasonCode[]> | null = null;

function load(): Promise<ReasonCode[]> {
  cache ??= api
    .listReasonCodes()
    .then((body) => (body.data.length ? body.data : FALLBACK_REASON_CODES))
    .catch(() => {
      cache = null;
      return FALLBACK_REASON_CODES;
    });
  return cache;
}

export function useReasonCodes(): ReasonCode[] {
  const [codes, setCodes] = useState<ReasonCode[]>(FALLBACK_REASON_CODES);
  useEffect(() => {
    let live = true;
    void load().then((loaded) => live && setCodes(loaded));
    return () => {
      live = false;
    };
  }, []);
  return codes;
}
