import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, ApiError } from "../../api/client";
import type { Answer } from "../../api/types";
import { dateTime } from "../../shared/format";
import { notify } from "../../shared/toast";
import { caseKeys } from "./useCase";

interface Props {
  caseId: string;
  canAddNote: boolean;
}

export function NotesPanel({ caseId, canAddNote }: Props) {
  const client = useQueryClient();
  const [text, setText] = useState("");
  const query = useQuery({
    queryKey: caseKeys.notes(caseId),
    queryFn: ({ signal }) => api.listNotes(caseId, signal),
    refetchOnWindowFocus: false,
  });
  const notes = query.data?.data ?? null;
  const error = query.error ? (query.error instanceof ApiError ? query.error.message : "Notes could not be loaded.") : null;
  const add = useMutation({
    mutationFn: (body: string) => api.addNote(caseId, { text: body }),
    onSuccess: (note) => {
      client.setQueryData<Answer<"listNotes">>(caseKeys.notes(caseId), (current) => ({
        data: [...(current?.data ?? []), note],
      }));
      setText("");
      // A note is on the case's history but leaves its version as it was, and the history is
      // read per version: re-read the case and its audit trail.
      void client.invalidateQueries({ queryKey: caseKeys.view(caseId), exact: true });
      void client.invalidateQueries({ queryKey: caseKeys.audits(caseId) });
    },
    onError: (err) => notify(err instanceof ApiError ? err.message : "The note could not be saved.", "error"),
  });
  const busy = add.isPending;

  function submit(event: FormEvent) {
    event.preventDefault();
    const body = text.trim();
    if (body) add.mutate(body);
  }

  return (
    <section className="panel" aria-labelledby="notes-title">
      <h2 id="notes-title">
        Notes {notes && <span className="count">{notes.length}</span>}
      </h2>
      {error && <p className="error">{error}</p>}
      {!notes && !error && <p className="muted">Loading notes…</p>}
      {notes && notes.length === 0 && <p className="muted">No notes yet.</p>}
      {notes && notes.length > 0 && (
        <ol className="notes">
          {notes.map((note) => (
            <li key={note.id}>
              <p className="note-text">{note.text}</p>
              <p className="muted small">
                {note.author?.name ?? "Someone"} · {dateTime(note.createdAt)}
              </p>
            </li>
          ))}
        </ol>
      )}
      {canAddNote ? (
        <form onSubmit={submit} className="note-form">
          <label htmlFor="note-text">Add a note</label>
          <textarea id="note-text" rows={2} maxLength={4000} value={text} onChange={(e) => setText(e.target.value)} />
          <button type="submit" disabled={busy || !text.trim()}>
            {busy ? "Saving…" : "Add note"}
          </button>
        </form>
      ) : (
        <p className="muted small">Your role cannot add notes.</p>
      )}
    </section>
  );
}
