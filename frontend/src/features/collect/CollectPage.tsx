// The customer's page, opened from a collection link: what the reviewers ask for, an upload per
// page straight to storage, a preview, and Submit. No reviewer session; the token in the URL is
// the only credential, and the page never sends it anywhere else (no-referrer).
import { useCallback, useEffect, useState, type FormEvent } from "react";
import { collectApi, CollectError, uploadToStorage, type CollectView, type RequestedDocument } from "./collectApi";

const ACCEPT = "image/png,image/jpeg,image/webp,image/gif,image/tiff,application/pdf";

interface Page {
  id: string;
  name: string;
  previewUrl: string | null;
  status: "uploading" | "uploaded" | "failed";
  uploadId?: string;
  error?: string;
}

export default function CollectPage({ token }: { token: string }) {
  const [view, setView] = useState<CollectView | null>(null);
  const [failure, setFailure] = useState<CollectError | null>(null);
  const [pages, setPages] = useState<Record<string, Page[]>>({});
  const [submitting, setSubmitting] = useState(false);
  const [submitError, setSubmitError] = useState<string | null>(null);

  useEffect(() => {
    document.title = "Upload your documents";
    collectApi.view(token).then(setView, (error: unknown) => {
      setFailure(error instanceof CollectError ? error : new CollectError(0, "unknown", "Something went wrong."));
    });
  }, [token]);

  const updatePage = useCallback((key: string, id: string, change: Partial<Page>) => {
    setPages((current) => ({
      ...current,
      [key]: (current[key] ?? []).map((page) => (page.id === id ? { ...page, ...change } : page)),
    }));
  }, []);

  if (failure) return <LinkProblem failure={failure} />;
  if (!view) {
    return (
      <main className="collect">
        <p role="status">Loading…</p>
      </main>
    );
  }

  async function addFiles(item: RequestedDocument, files: FileList | null) {
    if (!view || !files) return;
    for (const file of Array.from(files)) {
      const id = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
      const previewUrl = file.type.startsWith("image/") ? URL.createObjectURL(file) : null;
      const page: Page = { id, name: file.name, previewUrl, status: "uploading" };
      setPages((current) => ({ ...current, [item.key]: [...(current[item.key] ?? []), page] }));
      if (file.size > view.maxPageBytes) {
        updatePage(item.key, id, { status: "failed", error: "This file is larger than 10 MB." });
        continue;
      }
      try {
        const ticket = await collectApi.createUpload(token, { documentKey: item.key });
        await uploadToStorage(ticket, file);
        updatePage(item.key, id, { status: "uploaded", uploadId: ticket.uploadId });
      } catch (error) {
        updatePage(item.key, id, {
          status: "failed",
          error: error instanceof CollectError ? error.message : "The file could not be uploaded.",
        });
      }
    }
  }

  function removePage(key: string, id: string) {
    setPages((current) => ({ ...current, [key]: (current[key] ?? []).filter((page) => page.id !== id) }));
  }

  const ready = (item: RequestedDocument) => (pages[item.key] ?? []).filter((page) => page.status === "uploaded");
  const uploading = Object.values(pages).some((list) => list.some((page) => page.status === "uploading"));
  const complete = view.requested.every((item) => ready(item).length > 0);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!view || !complete || uploading) return;
    setSubmitting(true);
    setSubmitError(null);
    try {
      const documents = Object.fromEntries(
        view.requested.map((item) => [item.key, ready(item).map((page) => page.uploadId as string)]),
      );
      setView(await collectApi.submit(token, { documents }));
    } catch (error) {
      setSubmitError(error instanceof CollectError ? error.message : "Your documents could not be sent.");
    } finally {
      setSubmitting(false);
    }
  }

  return (
    <main className="collect" aria-labelledby="collect-title">
      <h1 id="collect-title">Documents for {view.entityName}</h1>
      {view.status === "received" ? (
        <section className="collect-received" role="status" data-testid="collect-received">
          <h2>Received, thank you</h2>
          <p>We have your documents and will continue the review. There is nothing more to send on this page.</p>
        </section>
      ) : (
        <form onSubmit={submit} aria-describedby="collect-intro">
          <p id="collect-intro">
            To finish reviewing your application we need the documents below. Take a clear photo or scan of every page
            (an image or a PDF, at most 10 MB a page).
            {view.expiresAt && <> This page works until {new Date(view.expiresAt).toLocaleString()}.</>}
          </p>
          {view.message && (
            <p className="collect-message" data-testid="collect-message">
              {view.message}
            </p>
          )}
          <ol className="collect-documents">
            {view.requested.map((item) => (
              <li key={item.key} className="collect-document" data-testid="collect-document">
                <h2>{item.label}</h2>
                <p className="collect-reason">Why: {item.reasonText}</p>
                {item.message && <p className="collect-note">{item.message}</p>}
                <label className="collect-upload">
                  Add pages of “{item.label}”
                  <input
                    type="file"
                    accept={ACCEPT}
                    multiple
                    onChange={(event) => {
                      void addFiles(item, event.target.files);
                      event.target.value = "";
                    }}
                  />
                </label>
                <ul className="collect-pages" aria-label={`Pages of ${item.label}`}>
                  {(pages[item.key] ?? []).map((page, index) => (
                    <li key={page.id} data-status={page.status}>
                      {page.previewUrl ? (
                        <img src={page.previewUrl} alt={`Page ${index + 1} of ${item.label}`} />
                      ) : (
                        <span className="collect-file">{page.name}</span>
                      )}
                      <span className="collect-status">
                        {page.status === "uploading" ? "Uploading…" : page.status === "uploaded" ? "Uploaded" : page.error}
                      </span>
                      <button type="button" className="link" onClick={() => removePage(item.key, page.id)}>
                        Remove<span className="visually-hidden"> page {index + 1}</span>
                      </button>
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ol>
          {submitError && (
            <p className="error" role="alert">
              {submitError}
            </p>
          )}
          <button type="submit" className="approve" disabled={!complete || uploading || submitting}>
            {submitting ? "Sending…" : "Submit"}
          </button>
          {!complete && <p className="muted small">Add at least one page for every document to submit.</p>}
        </form>
      )}
      <Messages token={token} initial={view.messages} open={view.status === "open"} />
    </main>
  );
}

function Messages({ token, initial, open }: { token: string; initial: CollectView["messages"]; open: boolean }) {
  const [messages, setMessages] = useState(initial);
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function send(event: FormEvent) {
    event.preventDefault();
    const body = text.trim();
    if (!body) return;
    setBusy(true);
    setError(null);
    try {
      const message = await collectApi.sendMessage(token, { text: body });
      setMessages((current) => [...current, message]);
      setText("");
    } catch (err) {
      setError(err instanceof CollectError ? err.message : "Your message could not be sent.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="collect-messages" aria-labelledby="collect-messages-title">
      <h2 id="collect-messages-title">Messages</h2>
      {messages.length === 0 ? (
        <p className="muted">No messages yet.</p>
      ) : (
        <ol className="notes">
          {messages.map((message) => (
            <li key={message.id} data-author={message.authorType}>
              <p className="note-text">{message.text}</p>
              <p className="muted small">
                {message.authorType === "customer" ? "You" : "Review team"} · {new Date(message.createdAt).toLocaleString()}
              </p>
            </li>
          ))}
        </ol>
      )}
      {open && (
        <form onSubmit={send} className="note-form">
          <label htmlFor="collect-message-text">Write to the review team</label>
          <textarea id="collect-message-text" rows={2} maxLength={4000} value={text} onChange={(e) => setText(e.target.value)} />
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" disabled={busy || !text.trim()}>
            {busy ? "Sending…" : "Send message"}
          </button>
        </form>
      )}
    </section>
  );
}

function LinkProblem({ failure }: { failure: CollectError }) {
  const invalid = failure.status === 401 || failure.status === 404;
  return (
    <main className="collect" aria-labelledby="collect-title">
      <h1 id="collect-title">{invalid ? "This link no longer works" : "Something went wrong"}</h1>
      <p data-testid="collect-problem">
        {invalid
          ? "The link has expired, was replaced by a newer one, or is not complete. Please use the most recent link we sent you, or ask the company that sent it for a new one."
          : failure.message}
      </p>
    </main>
  );
}
