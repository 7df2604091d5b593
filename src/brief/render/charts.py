"""SVG charts drawn by brief's own code (no plotting library): the risk matrix and result bars.

Every chart is an inline `<svg role="img">` whose `<title>` is the full text alternative. Both
renderers use it: browsers and screen readers read the title (`aria-labelledby`), and WeasyPrint 70
writes it as the /Alt of the PDF /Figure (checked: an `aria-label` alone gave a /Figure without
/Alt, a PDF/UA error). The same markup goes into the HTML and the PDF.

Output is deterministic: ids come from the caller, numbers are formatted with fixed precision and
nothing depends on the clock, the locale or dict order.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from markupsafe import Markup

from brief.assess.risk import Assessment, Rubric
from brief.render.views import EvaluationRow

FONT = "'Brief Sans', 'Liberation Sans', 'DejaVu Sans', Arial, sans-serif"
INK = "#1b1f24"
MUTED = "#4a5360"
RULE = "#c9ced6"
ACCENT = "#1d3f6e"
# Cell fills of the matrix: light tints, so that dark text on them keeps a 4.5:1 contrast.
LEVEL_FILL = {"Low": "#d7ecdc", "Moderate": "#f7e3b5", "High": "#f6c9ae", "Critical": "#eeb3bd"}
LEVEL_INK = {"Low": "#1e6b3a", "Moderate": "#6b4600", "High": "#8f330c", "Critical": "#8f1028"}


def _x(value: float) -> str:
    """Format a coordinate with at most one decimal (stable text, small files)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _e(text: object) -> str:
    """Escape for text and double-quoted attributes (apostrophes stay readable)."""
    return html.escape(str(text), quote=False).replace('"', "&quot;")


def slug(text: str) -> str:
    """Return an id-safe slug of `text` ('Agentic Misalignment: blackmail' -> 'agentic-misalignment-blackmail')."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "chart"


def _svg(ident: str, width: int, height: int, title: str, body: Iterable[str], css_class: str) -> Markup:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css_class}" id="{_e(ident)}" role="img" '
        f'aria-labelledby="{_e(ident)}-title" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'preserveAspectRatio="xMinYMin meet" font-family="{FONT}">',
        f'<title id="{_e(ident)}-title">{_e(title)}</title>',
        *body,
        "</svg>",
    ]
    return Markup("\n".join(parts))


# --- Risk matrix ---------------------------------------------------------------------------------


def risk_matrix(rubric: Rubric, assessment: Assessment, ident: str, name: str = "the incident") -> Markup:
    """Draw the rubric's 5 x 5 likelihood x severity matrix with the incident's cell marked."""
    severity, likelihood = assessment.matrix_cell
    base = rubric.matrix[likelihood][severity - 1]
    cell_w, cell_h = 58, 34
    left, top = 96, 14
    width = left + 5 * cell_w + 8
    height = top + 5 * cell_h + 58
    body: list[str] = []
    for row, lvl in enumerate(range(5, 0, -1)):  # L5 at the top
        y = top + row * cell_h
        band = rubric.likelihood[lvl]
        body.append(
            f'<text x="{left - 8}" y="{_x(y + cell_h / 2 - 2)}" text-anchor="end" font-size="11" '
            f'font-weight="bold" fill="{INK}">L{lvl}</text>'
        )
        body.append(
            f'<text x="{left - 8}" y="{_x(y + cell_h / 2 + 10)}" text-anchor="end" font-size="9.5" '
            f'fill="{MUTED}">{_e(band.band)}</text>'
        )
        for col in range(5):
            level = rubric.matrix[lvl][col]
            x = left + col * cell_w
            body.append(
                f'<rect x="{x}" y="{y}" width="{cell_w}" height="{cell_h}" fill="{LEVEL_FILL.get(level, "#eee")}" '
                'stroke="#fff" stroke-width="2"/>'
            )
            body.append(
                f'<text x="{_x(x + cell_w / 2)}" y="{_x(y + cell_h / 2 + 4)}" text-anchor="middle" '
                f'font-size="9.5" fill="{LEVEL_INK.get(level, INK)}">{_e(level)}</text>'
            )
    for col in range(5):
        centre = left + col * cell_w + cell_w / 2
        y = top + 5 * cell_h
        body.append(
            f'<text x="{_x(centre)}" y="{y + 14}" text-anchor="middle" font-size="11" font-weight="bold" '
            f'fill="{INK}">S{col + 1}</text>'
        )
        body.append(
            f'<text x="{_x(centre)}" y="{y + 26}" text-anchor="middle" font-size="9" '
            f'fill="{MUTED}">{_e(rubric.labels["S"][col + 1])}</text>'
        )
    body.append(
        f'<text x="{_x(left + 2.5 * cell_w)}" y="{top + 5 * cell_h + 44}" text-anchor="middle" font-size="10.5" '
        f'fill="{INK}">Severity of the worst credible outcome →</text>'
    )
    body.append(
        f'<text x="12" y="{_x(top + 2.5 * cell_h)}" text-anchor="middle" font-size="10.5" fill="{INK}" '
        f'transform="rotate(-90 12 {_x(top + 2.5 * cell_h)})">Likelihood →</text>'
    )
    # The incident: a ring on its cell (shape, not colour alone, carries the meaning).
    cx = left + (severity - 1) * cell_w + cell_w / 2
    cy = top + (5 - likelihood) * cell_h + cell_h / 2
    body.append(
        f'<rect x="{left + (severity - 1) * cell_w + 1.5}" y="{top + (5 - likelihood) * cell_h + 1.5}" '
        f'width="{cell_w - 3}" height="{cell_h - 3}" fill="none" stroke="{INK}" stroke-width="3"/>'
    )
    body.append(f'<circle cx="{_x(cx + cell_w / 2 - 9)}" cy="{_x(cy - cell_h / 2 + 9)}" r="5" fill="{INK}"/>')
    final = assessment.level
    title = (
        f"Risk matrix of rubric {rubric.version}: likelihood (L1 to L5, rows) by severity (S1 to S5, columns). "
        f"{name[:1].upper() + name[1:]} sits at S{severity} {rubric.labels['S'][severity]}, L{likelihood} "
        f"{rubric.likelihood[likelihood].band}, "
        f"where the matrix gives {base}"
        + (
            f"; after the rubric's further steps its level is {final}."
            if final != base
            else f"; its final level is also {final}."
        )
    )
    return _svg(ident, width, height, title, body, "risk-matrix")


# --- Evaluation results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One bar: a label, a proportion 0..1, optional interval bounds and the value as printed."""

    label: str
    share: float
    value_text: str
    bounds: tuple[float, float] | None
    n_text: str
    from_figure: bool = False  # read off a published figure, not stated in the text


def _shorten(text: str, limit: int) -> str:
    """Shorten a label to about `limit` characters at a word boundary, never inside a quotation."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    # An opening quote without its closing one: cut before the quotation instead of inside it.
    for opening, closing in (("'", "'"), ("‘", "’"), ("“", "”"), ('"', '"')):
        count = cut.count(opening) if opening == closing else cut.count(opening) - cut.count(closing)
        if count % 2 if opening == closing else count > 0:
            cut = cut[: cut.index(opening) if opening == closing else cut.rindex(opening)]
    cut = cut.rstrip(" ,;'(‘“\"")
    return (cut or text[:limit].rsplit(" ", 1)[0]) + "…"


def _differences(texts: Sequence[str], limit: int = 26) -> list[str]:
    """Return what distinguishes each text from the others (after their common prefix), shortened."""
    if len(set(texts)) < 2:
        return ["" for _ in texts]
    prefix = texts[0]
    for text in texts[1:]:
        while not text.startswith(prefix):
            prefix = prefix[:-1]
    cut = prefix.rfind(";") + 1 if ";" in prefix else len(prefix) - len(prefix.split(" ")[-1])
    out = []
    for text in texts:
        rest = text[cut:].strip(" ;,").strip()
        rest = re.sub(r"\s*\([^)]*\)\s*$", "", rest)  # drop a trailing parenthesis
        out.append(_shorten(rest, limit))
    return out


def bars_for(rows: Sequence[EvaluationRow]) -> tuple[list[Bar], str]:
    """Return the bars of an evaluation group (its most common proportion metric) and that metric."""
    shares = [r for r in rows if r["share"] is not None]
    if not shares:
        return [], ""
    metrics: dict[str, int] = {}
    for r in shares:
        metrics[r["record"].metric] = metrics.get(r["record"].metric, 0) + 1
    metric = max(metrics, key=lambda m: (metrics[m], -list(metrics).index(m)))
    chosen = [r for r in shares if r["record"].metric == metric]
    if len(chosen) < 2 <= len(shares):  # one proportion per metric: chart them all, as shares
        chosen, metric = list(shares), "share"
    labels = [r["record"].model for r in chosen]
    dupes = {m for m in labels if labels.count(m) > 1}
    extra = _differences([r["record"].condition for r in chosen])
    bars = []
    for r, label, more in zip(chosen, labels, extra):
        if label in dupes and more:
            label = f"{label} ({more})"
        share = r["share"]
        assert share is not None  # only rows with a share are charted
        bars.append(Bar(label, float(share), r["value"], r["bounds"], r["n"], r["record"].verification == "P-fig"))
    # Highest first within the study (stable: equal values keep the data's order).
    return sorted(bars, key=lambda b: -b.share), metric


def result_bars(bars: Sequence[Bar], ident: str, title: str, metric: str) -> Markup:
    """Draw horizontal bars (0-100%) with 95% Wilson intervals where n is known."""
    label_w = 262
    plot_w = 300
    right = 118
    row_h = 21
    top = 22
    width = label_w + plot_w + right
    height = top + row_h * len(bars) + 6
    body: list[str] = []
    for tick in (0, 25, 50, 75, 100):
        x = label_w + plot_w * tick / 100
        body.append(
            f'<line x1="{_x(x)}" y1="{top - 4}" x2="{_x(x)}" y2="{top + row_h * len(bars)}" stroke="{RULE}" '
            f'stroke-width="{1 if tick else 1.4}"/>'
        )
        body.append(
            f'<text x="{_x(x)}" y="{top - 9}" text-anchor="middle" font-size="11" fill="{MUTED}">{tick}%</text>'
        )
    for i, bar in enumerate(bars):
        y = top + i * row_h
        mid = y + row_h / 2
        label = bar.label if len(bar.label) <= 46 else bar.label[:45].rstrip() + "…"
        body.append(
            f'<text x="{label_w - 8}" y="{_x(mid + 4)}" text-anchor="end" font-size="11" '
            f'fill="{INK}">{_e(label)}</text>'
        )
        w = max(plot_w * bar.share, 0.0)
        disclosed = bar.bounds is not None
        fill = ACCENT if disclosed else "#8da2c0"
        if w > 0 and bar.from_figure:  # read off a figure: outlined and hatched, never solid like a stated value
            body.append(
                f'<rect x="{label_w}" y="{_x(y + 5)}" width="{_x(w)}" height="{row_h - 10}" '
                f'fill="url(#{_e(ident)}-hatch)" stroke="{ACCENT}" stroke-width="1.2"/>'
            )
        elif w > 0:
            body.append(f'<rect x="{label_w}" y="{_x(y + 5)}" width="{_x(w)}" height="{row_h - 10}" fill="{fill}"/>')
        end = label_w + w
        if bar.bounds is not None:  # disclosed
            low, high = bar.bounds
            x1, x2 = label_w + plot_w * low, label_w + plot_w * high
            body.append(
                f'<line x1="{_x(x1)}" y1="{_x(mid)}" x2="{_x(x2)}" y2="{_x(mid)}" stroke="{INK}" stroke-width="1.4"/>'
            )
            for xx in (x1, x2):
                body.append(
                    f'<line x1="{_x(xx)}" y1="{_x(mid - 5)}" x2="{_x(xx)}" y2="{_x(mid + 5)}" stroke="{INK}" '
                    'stroke-width="1.4"/>'
                )
            end = max(end, x2)
        note = (
            bar.value_text
            + ("" if disclosed else " (n not disclosed)")
            + (" read from figure" if bar.from_figure else "")
        )
        body.append(f'<text x="{_x(end + 6)}" y="{_x(mid + 4)}" font-size="10.5" fill="{INK}">{_e(note)}</text>')
    if any(b.from_figure for b in bars):
        body.insert(
            0,
            f'<defs><pattern id="{_e(ident)}-hatch" width="5" height="5" patternUnits="userSpaceOnUse" '
            'patternTransform="rotate(45)">'
            '<rect width="5" height="5" fill="#fff"/><line x1="0" y1="0" x2="0" y2="5" '
            f'stroke="{ACCENT}" stroke-width="1.6"/></pattern></defs>',
        )
    described = "; ".join(
        f"{b.label} {b.value_text}"
        + (" read from a figure" if b.from_figure else "")
        + (
            f" (95% interval {b.bounds[0] * 100:.0f}% to {b.bounds[1] * 100:.0f}%, n = {b.n_text})"
            if b.bounds
            else " (n not disclosed)"
        )
        for b in bars
    )
    return _svg(ident, width, height, f"Bar chart: {title}. {described}.", body, "result-bars")
