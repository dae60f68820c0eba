"""The clause-by-clause part of the offline plan's explanation: every clause
of the prompt is listed as applied (with what it changed), conflicting (a
later clause overrode it, and on which stems), or ignored (and why)."""

from __future__ import annotations

MAX_LISTED = 6  # clauses quoted per list; a huge prompt still gets a short explanation


def _listed(items: list[str]) -> str:
    more = f" and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else ""
    return "; ".join(items[:MAX_LISTED]) + more


def clause_report(reading, records) -> list[str]:
    applied, conflicting, missing, other = [], [], [], []
    by_index = {c.index: c for c in reading.clauses}
    for clause in reading.clauses:
        record = records.get(clause.index)
        quoted = f'"{clause.text}"'
        if record is None:
            if clause.read_as == "song":
                applied.append(f"{quoted} (which song sings)")
            elif clause.read_as == "modifier":
                applied.append(f"{quoted} (narrows the clause before it)")
            elif clause.read_as == "interjection":
                other.append(f"{quoted} (an interjection)")
            elif clause.read_as == "wishes":
                other.append(f"{quoted} (it named nothing this mode has)")
            continue
        if record.applied:
            applied.append(f"{quoted} ({'; '.join(dict.fromkeys(record.applied))})")
        if record.overridden_by:
            later: dict[int, list[str]] = {}
            for stem, index in record.overridden_by.items():
                later.setdefault(index, []).append(stem)
            why = "; ".join(f'{", ".join(stems)} overridden by "{by_index[i].text}"'
                            for i, stems in later.items() if i in by_index)
            conflicting.append(f"{quoted} ({why}: the later clause wins)")
        if record.missing:
            missing.append(f"{quoted} (no {', '.join(record.missing)} in this layout)")
        if record.notes and not record.applied:
            other.append(f"{quoted} ({'; '.join(record.notes)})")
    parts = []
    if applied:
        parts.append("Applied: " + _listed(applied) + ".")
    if conflicting:
        parts.append("Conflicting: " + _listed(conflicting) + ".")
    if missing:
        parts.append("Ignored (no such section): " + _listed(missing) + ".")
    if other:
        parts.append("Ignored: " + _listed(other) + ".")
    if reading.ignored:
        quoted = ", ".join(f'"{c}"' for c in reading.ignored[:5])
        more = f" and {len(reading.ignored) - 5} more" if len(reading.ignored) > 5 else ""
        parts.append(f"Ignored (not understood): {quoted}{more}.")
    return parts
