// Global single-key shortcuts. Ignored while typing in a field (except Escape) and with modifiers.
import { useLayoutEffect, useRef } from "react";

export type ShortcutMap = Record<string, (event: KeyboardEvent) => void>;

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag === "INPUT") {
    const type = (target as HTMLInputElement).type;
    return !["checkbox", "radio", "button", "submit", "reset"].includes(type);
  }
  return false;
}

export function useShortcuts(shortcuts: ShortcutMap, enabled = true): void {
  const ref = useRef(shortcuts);
  ref.current = shortcuts;
  // A layout effect: the listener is in place in the commit that shows the view, so a key pressed
  // as soon as it appears works (a passive effect may run a task later and miss it).
  useLayoutEffect(() => {
    if (!enabled) return;
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key !== "Escape" && isTyping(event.target)) return;
      // Enter on a focused button or link activates it, not a shortcut.
      if (event.key === "Enter" && event.target instanceof HTMLElement && event.target.closest("button, a, summary")) {
        return;
      }
      if (document.querySelector("[role=dialog][aria-modal=true]") && event.key !== "Escape" && event.key !== "?") {
        return;
      }
      const handler = ref.current[event.key];
      if (handler) {
        event.preventDefault();
        handler(event);
      }
    };
    window.addEventListener("keydown", onKeyDown);
    return () => window.removeEventListener("keydown", onKeyDown);
  }, [enabled]);
}
