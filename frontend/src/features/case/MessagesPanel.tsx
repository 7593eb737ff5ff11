// The case's customer-visible thread: what reviewers write here is emailed to the customer and
// shown on their upload page (unlike notes, which never leave the back office).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, ApiError } from "../../api/client";
import type { Answer } from "../../api/types";
import { dateTime } from "../../shared/format";
import { notify } from "../../shared/toast";
import { caseKeys } from "./useCase";

export function MessagesPanel({ caseId, canWrite }: { caseId: string; canWrite: boolean }) {
  const client = useQueryClient();
  const [text, setText] = useState("");
  const query = useQuery({
    queryKey: caseKeys.messages(caseId),
    queryFn: ({ signal }) => api.listMessages(caseId, signal),
    refetchInterval: 15_000,
  });
  const messages = query.data?.data ?? null;
  const add = useMutation({
    mutationFn: (body: string) => api.addMessage(caseId, { text: body }),
    onSuccess: (message) => {
      client.setQueryData<Answer<"listMessages">>(caseKeys.messages(caseId), (current) => ({
        data: [...(current?.data ?? []), message],
      }));
      setText("");
      void client.invalidateQueries({ queryKey: caseKeys.audits(caseId) });
    },
    onError: (err) => notify(err instanceof ApiError ? err.message : "The message could not be sent.", "error"),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    const body = text.trim();
    if (body) add.mutate(body);
  }

  return (
    <section className="panel" aria-labelledby="messages-title" data-testid="messages-panel">
      <h2 id="messages-title">
        Messages with the customer {messages && <span className="count">{messages.length}</span>}
      </h2>
      {query.error && <p className="error">Messages could not be loaded.</p>}
      {messages && messages.length === 0 && <p className="muted">No messages yet.</p>}
      {messages && messages.length > 0 && (
        <ol className="notes">
          {messages.map((message) => (
            <li key={message.id} data-author={message.authorType}>
              <p className="note-text">{message.text}</p>
              <p className="muted small">
                {message.authorType === "customer" ? "Customer" : (message.authorName ?? "Reviewer")} · {dateTime(message.createdAt)}
              </p>
            </li>
          ))}
        </ol>
      )}
      {canWrite ? (
        <form onSubmit={submit} className="note-form">
          <label htmlFor="message-text">Write to the customer (emailed; they see it)</label>
          <textarea id="message-text" rows={2} maxLength={4000} value={text} onChange={(e) => setText(e.target.value)} />
          <button type="submit" disabled={add.isPending || !text.trim()}>
            {add.isPending ? "Sending…" : "Send to customer"}
          </button>
        </form>
      ) : (
        <p className="muted small">Your role cannot write to customers.</p>
      )}
    </section>
  );
}
