import { useEffect, useState, type FormEvent } from "react";
import { api, ApiError } from "../api/client";
import type { Note } from "../api/types";
import { dateTime } from "../format";
import { notify } from "../toast";

interface Props {
  caseId: string;
  canAddNote: boolean;
  onAdded: () => void;
}

export function NotesPanel({ caseId, canAddNote, onAdded }: Props) {
  const [notes, setNotes] = useState<Note[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    api
      .listNotes(caseId)
      .then((body) => live && setNotes(body.data))
      .catch((err) => live && setError(err instanceof ApiError ? err.message : "Notes could not be loaded."));
    return () => {
      live = false;
    };
  }, [caseId]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const body = text.trim();
    if (!body) return;
    setBusy(true);
    try {
      const note = await api.addNote(caseId, body);
      setNotes((current) => [...(current ?? []), note]);
      setText("");
      onAdded();
    } catch (err) {
      notify(err instanceof ApiError ? err.message : "The note could not be saved.", "error");
    } finally {
      setBusy(false);
    }
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
