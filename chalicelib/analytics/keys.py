"""Where aggregates live (the analytics table; every read is a Query on a key, never a Scan).

  hourly counters  pk T#<tenant>#M#<dimension>          sk D#<UTC day>    attrs <metric>|<HH>
  hourly sketches  pk T#<tenant>#M#<dimension>          sk D#<UTC day>#S  attrs <sketch>|<HH>|<b>
  open cases       pk T#<tenant>#O#<dimension>#<state>  sk D#<created day>
                     attrs m<HHMM> (the minute the case was created)
                                                        sk TOTAL          attr  n
  states seen      pk T#<tenant>#O#<dimension>          sk STATES         attr  states (a set)
  seen marker      pk E#<tenant>#<event id>             sk SEEN           attr  expiresAt (TTL)

Dimensions: `all`, `W#<workflow>`; the per-reviewer ones (`reviewers`, `reviewers#W#<workflow>`)
prefix each attribute with the reviewer's id (`<reviewer>|<metric>|<HH>`), so a day of the whole
team is one item, whatever the number of reviewers or cases.
"""

from __future__ import annotations

ALL = "all"
REVIEWERS = "reviewers"
SKETCH_SUFFIX = "#S"
TOTAL_SK = "TOTAL"
STATES_SK = "STATES"
SEEN_SK = "SEEN"


def workflow_dimension(workflow: str | None, base: str = ALL) -> str:
    if workflow is None:
        return base
    prefix = "" if base == ALL else f"{base}#"
    return f"{prefix}W#{workflow}"


def metrics_pk(tenant_id: str, dimension: str) -> str:
    return f"T#{tenant_id}#M#{dimension}"


def is_metrics_pk(pk: str) -> bool:
    return pk.startswith("T#") and "#M#" in pk


def day_sk(day: str) -> str:
    return f"D#{day}"


def sketch_sk(day: str) -> str:
    return f"D#{day}{SKETCH_SUFFIX}"


def open_pk(tenant_id: str, dimension: str, state: str) -> str:
    return f"T#{tenant_id}#O#{dimension}#{state}"


def states_pk(tenant_id: str, dimension: str) -> str:
    return f"T#{tenant_id}#O#{dimension}"


def seen_pk(tenant_id: str, event_id: str) -> str:
    return f"E#{tenant_id}#{event_id}"
