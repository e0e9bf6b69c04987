"""What an extracted answer votes for in a majority vote."""

from __future__ import annotations

import re

import pandas as pd

from evalscale.grading import INTEGER
from evalscale.grading.parse import normalize


def vote_key(extracted: object) -> str:
    """What an extracted answer votes for: notation normalised as the checker does, whitespace dropped,
    integers without leading zeros ("025" and "25" vote together); "" for no answer.

    Equal keys mean equal answers; different keys may still be equivalent
    ("1/2" and "\\frac{1}{2}"), which the checker, not the vote, decides.
    """
    if not isinstance(extracted, str):
        return ""
    key = re.sub(r"\s+", "", normalize(extracted.strip().strip("$")))
    return str(int(key)) if INTEGER.match(key) else key


def vote_keys(extracted: pd.Series) -> pd.Series:
    """`vote_key` of every extracted answer, computed once per distinct answer."""
    distinct = pd.unique(extracted)
    return extracted.map(dict(zip(distinct, map(vote_key, distinct), strict=True)))
