import { useState, type FormEvent } from "react";
import { api, ApiError } from "../../api/client";

// The pool's policy (infra/resources.py): said before the user types, checked again by Cognito.
const PASSWORD_RULES = "At least 12 characters, with lower and upper case letters, a digit and a symbol.";

function detailMessage(err: ApiError): string | null {
  const details = err.details;
  if (Array.isArray(details) && details.length > 0) {
    const first = details[0] as { message?: unknown };
    if (typeof first.message === "string") return first.message;
  }
  return null;
}

export default function LoginPage() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  // Set when the password was a temporary one: the first-login step asks for a new password.
  const [temporary, setTemporary] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.login(email.trim(), password);
    } catch (err) {
      if (err instanceof ApiError && err.code === "new_password_required") {
        setTemporary(password);
        setPassword("");
        setBusy(false);
        return;
      }
      setPassword("");
      if (err instanceof ApiError && (err.status === 401 || err.status === 400)) {
        setError("Email or password is wrong.");
      } else {
        setError(err instanceof ApiError ? err.message : "Sign-in failed. Try again.");
      }
      setBusy(false);
    }
  }

  if (temporary !== null) {
    return (
      <NewPasswordStep
        email={email.trim()}
        temporaryPassword={temporary}
        onCancel={() => {
          setTemporary(null);
          setError(null);
        }}
      />
    );
  }

  return (
    <main className="login" id="main">
      <form className="login-card" onSubmit={submit} aria-labelledby="login-title" noValidate>
        <h1 id="login-title">KYC/KYB back office</h1>
        <p className="muted">Sign in with your reviewer account.</p>
        <label htmlFor="login-email">Email</label>
        <input
          id="login-email"
          type="email"
          autoComplete="username"
          required
          autoFocus
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <label htmlFor="login-password">Password</label>
        <input
          id="login-password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy || !email || !password}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}

interface StepProps {
  email: string;
  temporaryPassword: string;
  onCancel: () => void;
}

function NewPasswordStep({ email, temporaryPassword, onCancel }: StepProps) {
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (next !== again) {
      setError("The two passwords differ.");
      return;
    }
    if (next.length < 12) {
      setError(PASSWORD_RULES);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api.setFirstPassword(email, temporaryPassword, next);
    } catch (err) {
      if (err instanceof ApiError && err.status === 400) {
        setError(detailMessage(err) ?? PASSWORD_RULES);
      } else if (err instanceof ApiError && err.status === 401) {
        setError("The temporary password is no longer valid. Ask your admin for a new invitation.");
      } else {
        setError(err instanceof ApiError ? err.message : "Could not set the password. Try again.");
      }
      setBusy(false);
    }
  }

  return (
    <main className="login" id="main">
      <form className="login-card" onSubmit={submit} aria-labelledby="new-password-title" noValidate>
        <h1 id="new-password-title">Choose your password</h1>
        <p className="muted">
          First sign-in as <strong>{email}</strong>: replace the temporary password.
        </p>
        <p className="small muted" id="password-rules">
          {PASSWORD_RULES}
        </p>
        <label htmlFor="new-password">New password</label>
        <input
          id="new-password"
          type="password"
          autoComplete="new-password"
          aria-describedby="password-rules"
          required
          autoFocus
          value={next}
          onChange={(e) => setNext(e.target.value)}
        />
        <label htmlFor="new-password-again">New password, again</label>
        <input
          id="new-password-again"
          type="password"
          autoComplete="new-password"
          required
          value={again}
          onChange={(e) => setAgain(e.target.value)}
        />
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="row">
          <button type="submit" className="primary" disabled={busy || !next || !again}>
            {busy ? "Saving…" : "Set password and sign in"}
          </button>
          <button type="button" className="link" onClick={onCancel}>
            Back
          </button>
        </div>
      </form>
    </main>
  );
}
