import { useEffect, useRef } from "react";

const SHORTCUTS: [string, string][] = [
  ["j / k", "Next / previous case"],
  ["Enter", "Open the selected case (inbox)"],
  ["← / →", "Previous / next document page"],
  ["a", "Approve the current document"],
  ["r", "Reject the current document"],
  ["u", "Ask for a re-upload of the current document"],
  ["c", "Claim the case"],
  ["/", "Focus search"],
  ["?", "Show or hide this help"],
  ["Esc", "Close dialogs, leave a field"],
];

export function HelpOverlay({ onClose }: { onClose: () => void }) {
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    closeRef.current?.focus();
    return () => previous?.focus?.();
  }, []);
  return (
    <div className="overlay" onClick={onClose}>
      <div
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="help-title"
        onClick={(event) => event.stopPropagation()}
        onKeyDown={(event) => {
          // the only control is Close: keep the focus inside the dialog
          if (event.key === "Tab") {
            event.preventDefault();
            closeRef.current?.focus();
          }
        }}
      >
        <h2 id="help-title">Keyboard shortcuts</h2>
        <table className="shortcuts">
          <tbody>
            {SHORTCUTS.map(([keys, what]) => (
              <tr key={keys}>
                <th scope="row">
                  <kbd>{keys}</kbd>
                </th>
                <td>{what}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <button type="button" ref={closeRef} onClick={onClose}>
          Close
        </button>
      </div>
    </div>
  );
}
