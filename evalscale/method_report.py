"""The report's sections on test-time scaling methods side by side (report.py calls them).

- `metrics_notes`: how s1's Table 3 scores each method present (Control bounds of Appendix D).
- `token_matched_section`: parallel scaling (majority vote, pass@k) at the tokens it spends, beside
  sequential scaling: token_matched.csv and parallel.png.
- `native_section`: native_cap against budget forcing's cap-only cells, per cap, when both are present.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from evalscale import analysis, plotting
from evalscale.analysis import methods
from evalscale.analysis.tables import has_classes

CONTROL_BOUNDS = {
    "tcc": "TCC: thinking within the instructed N tokens.",
    "tcc_bf": "TCC + budget forcing: within N (the cap cuts at N).",
    "scc": "SCC: within tokens_per_step x the instructed steps (100 tokens a step, s1 Appendix D).",
    "scc_bf": "SCC + budget forcing: within tokens_per_step x the instructed steps.",
    "ccc": (
        "CCC: the short prompt thinks less than the plain one, the long prompt more; as in s1's Table 3, "
        "Scaling and Performance are over A = {short, long} (the plain prompt is Control's reference)."
    ),
    "rejection_sampling": (
        "Rejection sampling: within its cap (samples that never fit count their cap and are wrong; "
        "never fit % and tries show how often and how many draws)."
    ),
    "native_cap": "Native cap (the engine's thinking_token_budget): within its cap.",
    "nothinking": "NoThinking: no thinking budget (one point; no Control or Scaling).",
}
TOKEN_MATCHED_SHOWN = {
    "model": "series",
    "task": "task",
    "k": "k",
    "tokens": "tokens spent",
    "spent": "on",
    "maj_accuracy": "maj@k %",
    "maj_ci_low": "CI low",
    "maj_ci_high": "CI high",
    "pass_at_k": "pass@k %",
}
NATIVE_SHOWN = {
    "task": "task",
    "cap": "cap",
    "n_pairs": "pairs",
    "accuracy_native": "native %",
    "accuracy_forcing": "forcing %",
    "diff": "native - forcing",
    "ci_low": "CI low",
    "ci_high": "CI high",
    "tokens_native": "tokens native",
    "tokens_forcing": "tokens forcing",
    "same_share": "same %",
}


def shown_metrics(scaling: pd.DataFrame) -> pd.DataFrame:
    """The metrics table as the report shows it: a method column when a series is not budget forcing."""
    if (scaling["method"] == methods.DEFAULT_METHOD).all():
        return scaling.assign(method=None)
    return scaling


def summary_notes(summary: pd.DataFrame) -> list[str]:
    """Lines explaining the per-cell summary's method columns, where they have values."""
    lines = []
    if has_classes(summary["condition"]):
        lines.append("class: class-conditional control's prompt (short, plain, long; s1's sentences).")
    if summary["never_fit_share"].notna().any():
        lines.append(
            "never fit %: rejection-sampled samples whose thinking never fit the cap in method.max_tries "
            "draws (no answer: counted wrong); tries: draws per sample."
        )
    return lines


def metrics_notes(scaling: pd.DataFrame) -> list[str]:
    """Lines saying how each method present other than budget forcing is scored."""
    present = [name for name in CONTROL_BOUNDS if (scaling["method"] == name).any()]
    if not present:
        return []
    return ["Control per method (s1 Appendix D):", "", *[f"- {CONTROL_BOUNDS[name]}" for name in present], ""]


def token_matched_section(
    runs: analysis.Runs,
    curve: pd.DataFrame,
    styles: dict[str, plotting.SeriesStyle],
    out: Path,
    partial: str,
) -> list[str]:
    """token_matched.csv, parallel.png/.pdf and the report's lines on them (none without several samples)."""
    from evalscale.report import markdown_table, marked

    matched = methods.token_matched(runs.cells, runs)
    if matched.empty:
        return []
    matched.to_csv(out / "token_matched.csv", index=False)
    figure = plotting.plot_token_matched(curve, matched, styles)
    plotting.save_figure(marked(figure, partial), out, "parallel")
    return [
        "## Sequential against parallel scaling, token-matched",
        "",
        "![Scaling curves against majority vote and pass@k at the tokens they spend](parallel.png)",
        "",
        "Solid: each series' scaling curve (one sample). Dashed: majority vote of k samples; dotted:",
        "pass@k (unbiased, over all samples); both at k x the mean tokens of one sample at the series'",
        "unforced point (the largest cap without a Wait; CCC's plain prompt), in thinking tokens",
        "(NoThinking: answer tokens; rejection sampling: the kept draw's, as s1 counts them, not the",
        "rejected draws'), so a curve further left reaches the same accuracy for fewer tokens",
        "([PDF](parallel.pdf), token_matched.csv).",
        "",
        markdown_table(matched, TOKEN_MATCHED_SHOWN),
        "",
    ]


def native_section(runs: analysis.Runs, out: Path) -> list[str]:
    """native_against_forcing.csv and the report's table of it, when native_cap and budget forcing runs of
    one model and task are both in the report."""
    from evalscale.report import markdown_table

    paired = methods.native_against_forcing(runs.cells, runs)
    if paired.empty:
        return []
    paired.to_csv(out / "native_against_forcing.csv", index=False)
    return [
        "## The engine's cap against budget forcing",
        "",
        markdown_table(paired, NATIVE_SHOWN),
        "",
        "Per cap: native_cap's cells against budget forcing's cap-only cells (no Wait) of the same model,",
        "paired by problem and sample; native - forcing with its 95% paired bootstrap CI. same %: pairs with",
        "the same thinking length and the same extracted answer. The two agree token for token when the",
        "profile closes a capped thinking with its end delimiter alone (`cap_close` = `think_close` =",
        "`</think>`, `model.cap_close_newline=false`) under greedy decoding; with `Final Answer:` in the",
        "closing, forcing prompts the answer and the engine's cap does not.",
        "",
    ]
