"""Censoring per cell: how often the cap cut thinking short, and accuracy with and without those samples.

Definitions (shares in % of a cell's samples):

- `cap_closed_share`: the cap closed thinking (`end_reason == "cap"`, or "never_fit" below); these
  samples are censored: their thinking was cut before the model ended it.
- `never_ended_share`: thinking never ended on its own within the cell: the
  cap closed it and no end-of-thinking counted as a stop came before the cut
  (`waits_used == 0`). A subset of the cap-closed samples; at waits = 0 the
  two are equal, with Waits the difference is the samples that stopped at
  least once but were cut during a forced continuation. (A stop below
  `min_thinking`, answered with a forced Wait, does not count as a stop.)
- `no_answer_share`: the grader extracted no answer (reason `no_answer` or
  `ambiguous`: `tables.NO_ANSWER_REASONS`, as `tables.summarize`'s `no_answer_rate`).

Rejection sampling's samples that never fit their cap (`end_reason`
"never_fit": every draw ran into the cap, no answer was asked for) are
censored by the cap as much as a cut one: they count as cap-closed and as
never ended (`tables.summarize` shows them apart, as `never_fit_share`).

`accuracy_uncensored` is the share correct (%) of the samples that ended
thinking themselves (`end_reason` "stop" or "waits_exhausted"; NoThinking's
"prefilled"), pooled over samples, with its count `n_uncensored`;
`accuracy_censored` the same over the cap-closed ones. They tell whether a low cap scores low because it cuts
or because the model is wrong, but they are conditional accuracies: the
samples that finish early under a cap are the ones that needed less thought,
so `accuracy_uncensored` is not what the model would score without the cap.
"""

from __future__ import annotations

import pandas as pd

from evalscale.analysis.tables import NO_ANSWER_REASONS, POINT, with_condition

CENSORED_REASONS = ("cap", "never_fit")  # the cap ended thinking: cut, or rejected in every draw
CENSORING_COLUMNS = [
    *POINT,
    "n_samples",
    "cap_closed_share",
    "never_ended_share",
    "no_answer_share",
    "n_uncensored",
    "accuracy_uncensored",
    "accuracy_censored",
]


def censoring(cells: pd.DataFrame) -> pd.DataFrame:
    """One row per point (model, task, cap, waits, condition) with the shares and accuracies of the module
    docstring."""
    cells = with_condition(cells)
    censored = cells["end_reason"].isin(CENSORED_REASONS)
    flags = cells[POINT].assign(
        censored=censored,
        never_ended=censored & (cells["waits_used"] == 0),
        no_answer=cells["reason"].isin(NO_ANSWER_REASONS),
        correct=cells["correct"].astype(float) * 100.0,
    )
    table = flags.groupby(POINT, sort=True).agg(
        n_samples=("censored", "size"),
        cap_closed_share=("censored", "mean"),
        never_ended_share=("never_ended", "mean"),
        no_answer_share=("no_answer", "mean"),
        n_uncensored=("censored", lambda censored: int((~censored).sum())),
    )
    shares = ["cap_closed_share", "never_ended_share", "no_answer_share"]
    table[shares] = table[shares] * 100.0
    by_censoring = flags.groupby([*POINT, "censored"])["correct"].mean().unstack("censored")
    by_censoring = by_censoring.reindex(columns=[False, True])
    table["accuracy_uncensored"] = by_censoring[False]
    table["accuracy_censored"] = by_censoring[True]
    return table.reset_index()[CENSORING_COLUMNS]
