// The team dashboard (loaded on demand): KPIs, charts and the reviewers of a date range, in the
// reviewer's own time zone, from the analytics API (aggregates, never a scan of cases).
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState, type ReactNode } from "react";
import { api, ApiError } from "../../api/client";
import type { AnalyticsQuery, AnalyticsSummary } from "../../api/types";
import { humanize } from "../../shared/format";
import { BarChart, type Series } from "./BarChart";
import { formatSeconds } from "./formatSeconds";
import { ReviewerTable } from "./ReviewerTable";

const WORKFLOWS: [string, string][] = [
  ["kyc-manual-review", "KYC manual review"],
  ["kyb-manual-review", "KYB manual review"],
  ["risk-score-improvement-dev", "Risk score improvement (dev)"],
];
const COLORS = { approve: "#1f7a3d", reject: "#b3261e", revision: "#c98a00", neutral: "#2457c5" };
const AGE_LABELS: [keyof AnalyticsSummary["open"]["ages"], string][] = [
  ["lt1h", "< 1 h"],
  ["lt1d", "< 1 d"],
  ["lt3d", "< 3 d"],
  ["lt7d", "< 7 d"],
  ["older", "older"],
];

function isoDate(date: Date): string {
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 10);
}

function defaultRange(): { from: string; to: string } {
  const today = new Date();
  const from = new Date(today);
  from.setDate(today.getDate() - 27);
  return { from: isoDate(from), to: isoDate(today) };
}

const TIMEZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

export default function AnalyticsPage() {
  const [range, setRange] = useState(defaultRange);
  const [workflow, setWorkflow] = useState("");
  const params: AnalyticsQuery = useMemo(
    () => ({ from: range.from, to: range.to, timezone: TIMEZONE, workflow: workflow || undefined }),
    [range, workflow],
  );
  const key = JSON.stringify(params);
  const summary = useQuery({
    queryKey: ["analytics", "summary", key],
    queryFn: ({ signal }) => api.analyticsSummary(params, signal),
  });
  const daily = useQuery({
    queryKey: ["analytics", "daily", key],
    queryFn: ({ signal }) => api.analyticsDaily(params, signal),
  });
  const reviewers = useQuery({
    queryKey: ["analytics", "reviewers", key],
    queryFn: ({ signal }) => api.analyticsReviewers(params, signal),
  });
  const [exportError, setExportError] = useState<string | null>(null);

  const error = summary.error ?? daily.error ?? reviewers.error;
  const decisions = useMemo(() => {
    const rows = daily.data?.data ?? [];
    const series: Series[] = [
      { label: "Approved", values: rows.map((r) => r.approved), color: COLORS.approve },
      { label: "Rejected", values: rows.map((r) => r.rejected), color: COLORS.reject },
      { label: "Re-upload", values: rows.map((r) => r.revision), color: COLORS.revision },
    ];
    return { labels: rows.map((r) => r.date.slice(5)), series };
  }, [daily.data]);
  const openByAge = useMemo(() => {
    const ages = summary.data?.open.ages;
    return {
      labels: AGE_LABELS.map(([, label]) => label),
      series: [{ label: "Open cases", values: AGE_LABELS.map(([k]) => ages?.[k] ?? 0), color: COLORS.neutral }],
    };
  }, [summary.data]);
  const reviewTimes = useMemo(() => {
    const bins = summary.data?.reviewTimeHistogram ?? [];
    return {
      labels: bins.map((b) => b.label),
      series: [{ label: "Decisions", values: bins.map((b) => b.count), color: COLORS.neutral }],
    };
  }, [summary.data]);

  async function download(table: "daily" | "reviewers") {
    setExportError(null);
    try {
      await api.downloadAnalytics({ ...params, table });
    } catch (e) {
      setExportError(e instanceof ApiError ? e.message : "The export failed.");
    }
  }

  const s = summary.data;
  return (
    <section className="analytics" aria-labelledby="analytics-title">
      <div className="analytics-head">
        <h1 id="analytics-title">Team analytics</h1>
        <form className="filters" aria-label="Analytics filters" onSubmit={(e) => e.preventDefault()}>
          <div>
            <label htmlFor="a-from">From</label>
            <input
              id="a-from"
              type="date"
              value={range.from}
              max={range.to}
              onChange={(e) => e.target.value && setRange({ ...range, from: e.target.value })}
            />
          </div>
          <div>
            <label htmlFor="a-to">To</label>
            <input
              id="a-to"
              type="date"
              value={range.to}
              min={range.from}
              onChange={(e) => e.target.value && setRange({ ...range, to: e.target.value })}
            />
          </div>
          <div>
            <label htmlFor="a-workflow">Workflow</label>
            <select id="a-workflow" value={workflow} onChange={(e) => setWorkflow(e.target.value)}>
              <option value="">All workflows</option>
              {WORKFLOWS.map(([id, name]) => (
                <option key={id} value={id}>
                  {name}
                </option>
              ))}
            </select>
          </div>
          <div className="row export">
            <button type="button" onClick={() => void download("daily")}>
              Download days (CSV)
            </button>
            <button type="button" onClick={() => void download("reviewers")}>
              Download reviewers (CSV)
            </button>
          </div>
        </form>
        <p className="muted small">
          Dates in {TIMEZONE}. Percentiles are within {s ? Math.round(s.relativeError * 100) : 2}% of the true
          value.
        </p>
      </div>
      {exportError && (
        <p role="alert" className="error">
          {exportError}
        </p>
      )}
      {error && (
        <p role="alert" className="error">
          {error instanceof ApiError ? error.message : "The analytics could not be loaded."}
        </p>
      )}
      {!s && !error && (
        <p className="loading" role="status">
          Loading analytics…
        </p>
      )}
      {s && (
        <>
          <ul className="kpis" aria-label="Key figures">
            <Kpi label="Open cases" value={s.open.total} testId="kpi-open" />
            <Kpi label="Decided today" value={s.decidedToday} testId="kpi-decided-today" />
            <Kpi
              label="Median time to decision"
              value={formatSeconds(s.durations.reviewTime.p50)}
              hint={`p90 ${formatSeconds(s.durations.reviewTime.p90)}`}
              testId="kpi-median"
            />
            <Kpi label="SLA breaches" value={s.counts.slaBreached} testId="kpi-sla" />
            <Kpi
              label="Approval rate"
              value={s.rates.approval === null ? "–" : `${Math.round(s.rates.approval * 100)}%`}
              hint={`${s.counts.decided} decisions`}
            />
            <Kpi
              label="Median resolution"
              value={formatSeconds(s.durations.resolutionTime.p50)}
              hint={`${s.counts.completed} completed`}
            />
          </ul>
          <ul className="kpis" aria-label="Four-eyes figures">
            <Kpi
              label="Second approvals confirmed"
              value={s.counts.approvalsConfirmed}
              hint={`${s.counts.approvalsPending} asked in the range`}
              testId="kpi-confirmed"
            />
            <Kpi label="Approvals returned" value={s.counts.approvalsReturned} testId="kpi-returned" />
            <Kpi label="Criteria overridden" value={s.counts.criteriaOverridden} testId="kpi-overridden" />
          </ul>
          <div className="charts">
            <BarChart title="Decisions per day" labels={decisions.labels} series={decisions.series} stacked />
            <BarChart title="Open cases by age" labels={openByAge.labels} series={openByAge.series} />
            <BarChart title="Review time (assigned to decided)" labels={reviewTimes.labels} series={reviewTimes.series} />
          </div>
          {s.open.byState.length > 0 && (
            <p className="small muted">
              Open by state:{" "}
              {s.open.byState.map((state) => `${humanize(state.state)} ${state.count}`).join(" · ")}
            </p>
          )}
        </>
      )}
      <h2 className="section-title">Reviewers</h2>
      {reviewers.data ? <ReviewerTable rows={reviewers.data.data} /> : !error && <p className="muted">Loading…</p>}
    </section>
  );
}

function Kpi({ label, value, hint, testId }: { label: string; value: ReactNode; hint?: string; testId?: string }) {
  return (
    <li className="kpi" data-testid={testId}>
      <span className="kpi-label">{label}</span>
      <span className="kpi-value">{value}</span>
      {hint && <span className="kpi-hint">{hint}</span>}
    </li>
  );
}
