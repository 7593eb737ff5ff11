// The customer's API: `/api/v1/collect/{token}/...`, authenticated by the link's token alone
// (no reviewer session). Typed by the generated schema like the reviewer's client.
import type { Answer, Body } from "../../api/types";

export class CollectError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function call<T>(path: string, method: "GET" | "POST" = "GET", body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: { Accept: "application/json", ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      referrerPolicy: "no-referrer",
    });
  } catch {
    throw new CollectError(0, "network_error", "We cannot be reached right now. Check your connection and try again.");
  }
  if (!response.ok) {
    let error: { code?: string; message?: string } | undefined;
    try {
      error = ((await response.json()) as { error?: { code?: string; message?: string } }).error;
    } catch {
      error = undefined;
    }
    throw new CollectError(response.status, error?.code ?? `http_${response.status}`, error?.message ?? "The request failed.");
  }
  return (await response.json()) as T;
}

const base = (token: string) => `/api/v1/collect/${encodeURIComponent(token)}`;

export type CollectView = Answer<"collect">;
export type RequestedDocument = CollectView["requested"][number];
export type Message = CollectView["messages"][number];

export const collectApi = {
  view: (token: string) => call<CollectView>(base(token)),
  createUpload: (token: string, body: Body<"createUpload">) =>
    call<Answer<"createUpload">>(`${base(token)}/uploads`, "POST", body),
  submit: (token: string, body: Body<"submit">) => call<CollectView>(`${base(token)}/submit`, "POST", body),
  messages: (token: string) => call<Answer<"customerMessages">>(`${base(token)}/messages`),
  sendMessage: (token: string, body: Body<"customerMessage">) =>
    call<Answer<"customerMessage">>(`${base(token)}/messages`, "POST", body),
};

/** Upload one page straight to S3 with the presigned POST (the file goes last, as S3 wants). */
export async function uploadToStorage(ticket: Answer<"createUpload">, file: File): Promise<void> {
  const form = new FormData();
  for (const [name, value] of Object.entries(ticket.fields)) form.append(name, value);
  form.append("file", file);
  let response: Response;
  try {
    response = await fetch(ticket.url, { method: "POST", body: form, referrerPolicy: "no-referrer" });
  } catch {
    throw new CollectError(0, "network_error", "The file could not be uploaded. Check your connection and try again.");
  }
  if (!response.ok) throw new CollectError(response.status, "upload_failed", "The file could not be uploaded.");
}
