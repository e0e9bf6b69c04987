"""Megabyte-long responses whose last answer is 42: shared by the checker tests and bench/grading.py."""

MEGABYTE_RESPONSES = [
    "Wait, " * 200_000 + "{" * 1000 + "\\boxed{" * 1000 + " Final Answer: \\boxed{42}",
    "Final Answer: 1 " * 70_000 + "Final Answer: 42",
    "Final Answer:\n\n" * 70_000 + "42",
    "The answer is $\\boxed{7}$. " * 40_000 + "Final Answer: $42$",
]
