// App-wide short messages (decision saved, conflicts). Rendered by <Toasts />.
import { useEffect, useState } from "react";

export type ToastKind = "success" | "error" | "info";
export interface Toast {
  id: number;
  kind: ToastKind;
  message: string;
}

let toasts: Toast[] = [];
let nextId = 1;
const listeners = new Set<(toasts: Toast[]) => void>();

function emit(): void {
  listeners.forEach((listener) => listener(toasts));
}

export function notify(message: string, kind: ToastKind = "info", timeoutMs = 6000): void {
  const toast = { id: nextId++, kind, message };
  toasts = [...toasts, toast].slice(-4);
  emit();
  window.setTimeout(() => dismiss(toast.id), kind === "error" ? timeoutMs * 2 : timeoutMs);
}

export function dismiss(id: number): void {
  toasts = toasts.filter((toast) => toast.id !== id);
  emit();
}

export function useToasts(): Toast[] {
  const [state, setState] = useState(toasts);
  useEffect(() => {
    listeners.add(setState);
    return () => {
      listeners.delete(setState);
    };
  }, []);
  return state;
}
