// The API's reason codes (cached for the session); the documented list until they arrive.
import { useQuery } from "@tanstack/react-query";
import { api } from "../../api/client";
import type { ReasonCode } from "../../api/types";

export const FALLBACK_REASON_CODES: ReasonCode[] = [
  { code: "blurry_or_unreadable", label: "Blurry or unreadable" },
  { code: "expired", label: "Expired" },
  { code: "altered_or_fake", label: "Altered or fake" },
  { code: "wrong_document_type", label: "Wrong document type" },
  { code: "data_mismatch", label: "Data does not match" },
  { code: "missing_pages", label: "Missing pages" },
  { code: "other", label: "Other (explain in the comment)" },
];

export function useReasonCodes(): ReasonCode[] {
  const { data } = useQuery({
    queryKey: ["reason-codes"],
    queryFn: ({ signal }) => api.listReasonCodes(signal),
    staleTime: Infinity,
    refetchOnWindowFocus: false,
  });
  return data?.data.length ? data.data : FALLBACK_REASON_CODES;
}
