import { Component, type ReactNode } from "react";

interface State {
  error: Error | null;
}

/** A screen that fails to render shows a message instead of a blank page. */
export class ErrorBoundary extends Component<{ children: ReactNode; onBack: () => void }, State> {
  state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  render() {
    if (!this.state.error) return this.props.children;
    return (
      <div className="error-box" role="alert">
        <p>Something went wrong while showing this page.</p>
        <button type="button" onClick={this.props.onBack}>
          Back to the inbox
        </button>
      </div>
    );
  }
}
