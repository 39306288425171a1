"""How a batch shows itself: a one-line headline, tables (text, HTML, markdown), the progress bar.

Tables are built from `BatchResult.summary` (plain data), so this module knows no batch types.
"""

from __future__ import annotations

import html
import importlib.util
import sys
from collections.abc import Mapping
from typing import Any

__all__ = ["headline", "html_table", "markdown_table", "money", "progress_bar", "text_table"]

_COLUMNS = ("name", "status", "ok", "requests", "tokens", "error")
_LABELS = (
    ("ok", "ok"),
    ("with_errors", "with errors"),
    ("failed", "failed"),
    ("resumed", "resumed"),
    ("cached", "cached"),
    ("not_run", "not run"),
    ("unwritten", "not written"),
)


def money(cost: float | None) -> str:
    """A dollar amount as shown: ``$0.0123``; ``n/a`` when no price is known.

    >>> money(0.012345), money(0.00001), money(0.0), money(None)
    ('$0.0123', '<$0.0001', '$0.0000', 'n/a')
    """
    if cost is None:
        return "n/a"
    if 0 < cost < 0.00005:
        return "<$0.0001"
    return f"${cost:.4f}"


def headline(summary: Mapping[str, Any]) -> str:
    """``6 items: 5 ok, 1 failed | 7 requests, 12,345 tokens (20% cached) | $0.0123 | 3.2 s``."""
    counts = ", ".join(f"{summary[key]} {label}" for key, label in _LABELS if summary.get(key))
    share = summary.get("cached_token_share")
    cached = f" ({share:.0%} cached)" if share else ""
    notes = len(summary.get("notes") or ())
    return (
        f"{summary['total']} items: {counts or 'none finished'} | {summary['requests']} requests, "
        f"{summary['total_tokens']:,} tokens{cached} | {money(summary['cost_usd'])} | "
        f"{summary['wall_s']:.1f} s" + (f" | {notes} note{'s' * (notes > 1)}" if notes else "")
    )


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _cells(row: Mapping[str, Any], width: int) -> list[str]:
    ok = row.get("ok")
    problem = ""
    if row.get("error_type"):
        problem = f"{row['error_type']}: {row.get('error') or ''}"
    if row.get("write_error"):
        problem = f"{problem}; " * bool(problem) + f"not written: {row['write_error']}"
    return [
        _short(str(row["name"]), 40),
        str(row["status"]),
        "" if ok is None else "yes" if ok else "no",
        str(row["requests"]),
        f"{row['usage']['total_tokens']:,}",
        _short(problem, width),
    ]


def _rows(
    summary: Mapping[str, Any], max_rows: int | None, width: int
) -> tuple[list[list[str]], int]:
    items = list(summary["items"])
    shown = items if max_rows is None else items[:max_rows]
    return [_cells(row, width) for row in shown], len(items) - len(shown)


def text_table(summary: Mapping[str, Any], max_rows: int | None = 50) -> str:
    """The headline, then one aligned row per item, then the notes (plain text)."""
    rows, more = _rows(summary, max_rows, 60)
    table = [list(_COLUMNS), *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(_COLUMNS))]
    right = {2, 3, 4}

    def line(cells: list[str]) -> str:
        parts = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    lines = [headline(summary), "", line(table[0]), line(["-" * w for w in widths])]
    lines += [line(r) for r in rows]
    if more:
        lines.append(f"... {more} more item(s)")
    lines += [f"note: {n}" for n in summary.get("notes") or ()]
    return "\n".join(lines)


def html_table(summary: Mapping[str, Any], max_rows: int | None = 50) -> str:
    """The same as an HTML table (what a notebook shows)."""
    rows, more = _rows(summary, max_rows, 80)
    esc = html.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in _COLUMNS)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in rows)
    if more:
        body += f'<tr><td colspan="{len(_COLUMNS)}">... {more} more item(s)</td></tr>'
    notes = "".join(f"<li>{esc(n)}</li>" for n in summary.get("notes") or ())
    return (
        f"<div><p><b>BatchResult</b> {esc(headline(summary))}</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        + (f"<ul>{notes}</ul>" if notes else "")
        + "</div>"
    )


def markdown_table(summary: Mapping[str, Any], max_rows: int | None = 50) -> str:
    """The same as a markdown table."""
    rows, more = _rows(summary, max_rows, 80)

    def line(cells: list[str]) -> str:
        return (
            "| " + " | ".join(html.escape(c, quote=False).replace("|", "\\|") for c in cells) + " |"
        )

    lines = [f"**BatchResult** {headline(summary)}", "", line(list(_COLUMNS))]
    lines += ["|" + "|".join("---" for _ in _COLUMNS) + "|", *(line(r) for r in rows)]
    if more:
        lines.append(f"\n... {more} more item(s)")
    lines += ["", *(f"- {n}" for n in summary.get("notes") or ())] if summary.get("notes") else []
    return "\n".join(lines)


# -- progress -------------------------------------------------------------------------------------
def progress_bar(progress: bool | None, total: int) -> Any:
    """A tqdm bar (None when not shown): a widget in notebooks that have ipywidgets, else text.

    ``tqdm.auto`` without ipywidgets warns (``TqdmWarning: IProgress not found``) on every run,
    so it is used only when ipywidgets can be imported.
    """
    show = progress if progress is not None else (sys.stderr.isatty() or _in_notebook())
    if not show:
        return None
    if _has_widgets():
        from tqdm.auto import tqdm  # type: ignore[import-untyped]  # notebook-aware
    else:
        from tqdm import tqdm  # type: ignore[import-untyped]
    return tqdm(total=total, desc="planning", unit="plan", dynamic_ncols=True)


def _has_widgets() -> bool:
    try:
        return importlib.util.find_spec("ipywidgets") is not None
    except (ImportError, ValueError):
        return False


def _in_notebook() -> bool:
    ipython = sys.modules.get("IPython")
    shell = getattr(ipython, "get_ipython", lambda: None)() if ipython is not None else None
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})
