import { useEffect, useRef, useState, type PointerEvent as ReactPointerEvent } from "react";
import type { CaseDocument, DocumentPage } from "../../api/types";
import { humanize } from "../../shared/format";
import { useShortcuts } from "../../shared/useShortcuts";

interface Props {
  document: CaseDocument;
  pageIndex: number;
  onPageChange: (index: number) => void;
  onUrlExpired: () => void;
}

const ZOOMS = [0.5, 0.75, 1, 1.25, 1.5, 2, 3, 4];

function isImage(page: DocumentPage): boolean {
  if (page.contentType) return page.contentType.startsWith("image/");
  return ["png", "jpg", "jpeg", "webp", "gif"].includes((page.type ?? "").toLowerCase());
}

export function DocumentViewer({ document: doc, pageIndex, onPageChange, onUrlExpired }: Props) {
  const pages = doc.pages;
  const page = pages[pageIndex];
  const [zoom, setZoom] = useState(1);
  const [rotation, setRotation] = useState(0);
  const [offset, setOffset] = useState({ x: 0, y: 0 });
  const drag = useRef<{ x: number; y: number; startX: number; startY: number } | null>(null);

  useEffect(() => {
    setZoom(1);
    setRotation(0);
    setOffset({ x: 0, y: 0 });
  }, [doc.id, pageIndex]);

  const zoomBy = (step: 1 | -1) =>
    setZoom((z) => {
      const index = ZOOMS.findIndex((value) => value >= z - 1e-9);
      const next = ZOOMS[Math.min(ZOOMS.length - 1, Math.max(0, index + step))];
      if (next <= 1) setOffset({ x: 0, y: 0 });
      return next;
    });
  const reset = () => {
    setZoom(1);
    setRotation(0);
    setOffset({ x: 0, y: 0 });
  };
  const go = (step: 1 | -1) => {
    const next = pageIndex + step;
    if (next >= 0 && next < pages.length) onPageChange(next);
  };

  useShortcuts({
    ArrowLeft: () => go(-1),
    ArrowRight: () => go(1),
    "+": () => zoomBy(1),
    "=": () => zoomBy(1),
    "-": () => zoomBy(-1),
    "0": reset,
  });

  function onPointerDown(event: ReactPointerEvent<HTMLDivElement>) {
    if (zoom <= 1) return;
    event.currentTarget.setPointerCapture(event.pointerId);
    drag.current = { x: offset.x, y: offset.y, startX: event.clientX, startY: event.clientY };
  }
  function onPointerMove(event: ReactPointerEvent<HTMLDivElement>) {
    const start = drag.current;
    if (!start) return;
    setOffset({ x: start.x + event.clientX - start.startX, y: start.y + event.clientY - start.startY });
  }
  function onPointerUp() {
    drag.current = null;
  }

  const label = `${humanize(doc.type)}, page ${pageIndex + 1} of ${pages.length}`;

  return (
    <div className="viewer" data-testid="document-viewer">
      <div className="viewer-toolbar" role="toolbar" aria-label="Document viewer">
        <button type="button" onClick={() => go(-1)} disabled={pageIndex <= 0} aria-label="Previous page">
          ‹
        </button>
        <span className="page-count" aria-live="polite" data-testid="page-indicator">
          {pages.length ? `Page ${pageIndex + 1} / ${pages.length}` : "No pages"}
        </span>
        <button
          type="button"
          onClick={() => go(1)}
          disabled={pageIndex >= pages.length - 1}
          aria-label="Next page"
        >
          ›
        </button>
        <span className="sep" />
        <button type="button" onClick={() => zoomBy(-1)} aria-label="Zoom out" disabled={zoom <= ZOOMS[0]}>
          −
        </button>
        <span className="zoom" data-testid="zoom-level">
          {Math.round(zoom * 100)}%
        </span>
        <button type="button" onClick={() => zoomBy(1)} aria-label="Zoom in" disabled={zoom >= ZOOMS[ZOOMS.length - 1]}>
          +
        </button>
        <button type="button" onClick={() => setRotation((r) => (r + 90) % 360)} aria-label="Rotate 90 degrees">
          ⟳
        </button>
        <button type="button" onClick={reset}>
          Reset view
        </button>
        <span className="sep" />
        {page?.url ? (
          <a href={page.url} target="_blank" rel="noopener noreferrer" className="button">
            Open in new tab
          </a>
        ) : (
          <span className="muted">Open in new tab</span>
        )}
      </div>
      <div
        className={`viewer-stage${zoom > 1 ? " pannable" : ""}`}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
        onWheel={(event) => {
          if (event.ctrlKey) {
            event.preventDefault();
            zoomBy(event.deltaY < 0 ? 1 : -1);
          }
        }}
      >
        {!page && <p className="muted">This document has no pages.</p>}
        {page && page.storageStatus === "pending" && (
          <p className="muted" role="status">
            This page is still being fetched from the customer's storage…
          </p>
        )}
        {page && page.storageStatus === "failed" && (
          <div className="page-failed" role="note">
            <p>This page could not be stored.</p>
            {page.storageError && <p className="muted">{page.storageError}</p>}
          </div>
        )}
        {page && page.storageStatus === "stored" && page.url && isImage(page) && (
          <img
            src={page.url}
            alt={label}
            draggable={false}
            style={{
              transform: `translate(${offset.x}px, ${offset.y}px) scale(${zoom}) rotate(${rotation}deg)`,
            }}
            onError={onUrlExpired}
            data-testid="page-image"
          />
        )}
        {page && page.storageStatus === "stored" && page.url && !isImage(page) && (
          <object data={page.url} type={page.contentType ?? "application/pdf"} aria-label={label} className="pdf">
            <p>
              This page cannot be shown here.{" "}
              <a href={page.url} target="_blank" rel="noopener noreferrer">
                Open it in a new tab
              </a>
              .
            </p>
          </object>
        )}
      </div>
      {pages.length > 1 && (
        <ol className="thumbnails" aria-label="Pages">
          {pages.map((p, index) => (
            <li key={p.id}>
              <button
                type="button"
                className="thumb"
                aria-current={index === pageIndex ? "page" : undefined}
                aria-label={`Page ${index + 1}`}
                onClick={() => onPageChange(index)}
              >
                {p.storageStatus === "stored" && p.url && isImage(p) ? (
                  <img src={p.url} alt="" loading="lazy" draggable={false} />
                ) : (
                  <span className="thumb-text">{p.storageStatus === "stored" ? (p.type ?? "file").toUpperCase() : p.storageStatus}</span>
                )}
              </button>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
