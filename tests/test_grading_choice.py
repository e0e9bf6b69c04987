"""Multiple-choice letters read like a human grader: the final commitment, never a stray letter.

Made-up responses in the shapes of real GPQA answers from chat models; extraction is in-process.
"""

from __future__ import annotations

import pytest

from evalscale.grading import check, extract

OPTIONS = ["0.85", "1.7", "3.4 eV", "2-methylbutanal"]


def letter(response: str, options: list[str] | None = None) -> tuple[str | None, str]:
    return extract(response, "choice", options)


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("Option A seems plausible at first, but it neglects the spin. Answer: C", "C"),
        ("We compare energies and conclude. Answer: B", "B"),
        ("After weighing both routes, I'll go with D.", "D"),
        ("Taking all of this into account, I will choose A.", "A"),
        ("Everything considered, B is the correct answer.", "B"),
        ("So C is the answer.", "C"),
        ("Thus, the most likely answer is C: a doublet of triplets.", "C"),
        ("The option that cannot occur is D. The others are all allowed.", "D"),
        ("The option that is not allowed is B. The others are fine.", "B"),
        ("Only the last one fits every blank, so the answer is H.", "H"),
        ("Answer: (I)", "I"),
        ("Final answer: I think it is C. Answer: J", "J"),
        (
            "The answer is **B**.\n\nLet's consider each option:\n- A fails\n- B holds: uniform field.",
            "B",
        ),
        (
            "The correct statement is option B: the enzyme is inhibited.\n\nOption C: the enzyme is active, "
            "which contradicts the assay.",
            "B",
        ),
        (
            "Comparing the spectra, the best match is:\n\nB. 3-hydroxybutanone\n\nThis compound explains the "
            "singlet at 2.1 ppm and the broad OH peak.",
            "B",
        ),
        (
            "The best answer is **D. Both are racemic.** Here is why: the intermediate is planar, so the "
            "nucleophile attacks from both faces and the products keep no memory of the start.",
            "D",
        ),
        ("Final answer: A. **C is not involved in the pathway.**", "A"),
        ("**Answer: (B)**", "B"),
        ("The answer is $\\boxed{\\text{C}}$.", "C"),
        ("Reasoning here.\n\n**C**", "C"),
        ("The answer is B. Wait, actually, it's D because the ring strain dominates.", "D"),
        ("My final answer is (A).", "A"),
        ("thinking... Answer: B</think>\n\nThe solution walks through the", "B"),
        ("Weighing the two mechanisms, therefore, **C**.", "C"),
        ("Only one product keeps the stereocentre.\n\nC. **B is the only chiral product.**", "C"),
        ("**Correct Answer: (D)**\n\nThe diene must be s-cis for the reaction.", "D"),
        ("</think>\n\n**Answer:** c", "C"),
        ("If the answer were A, the spin would be 1. The final answer is B.", "B"),
        ("The answer is (C) 4.2 kJ, unlike (A) which ignores the entropy.", "C"),
        ('{"reasoning": "the dimer is favoured", "answer": "B"}', "B"),
        ("**Answer: B**\n\n(C) would need a catalyst, which is absent.", "B"),
        (
            "The answer is (C).\n\nNote: (A) and (D) are common mistakes, and (B) confuses mass with weight.",
            "C",
        ),
        ("The answer is for sure B, it cannot be C or D", "B"),
        ("The product is **B. methyl 3-aminobenzoate**.", "B"),
        ("**Option C: (2R,3S)-2-ethyl-3-methylpentanal**", "C"),
        ("The ratio is approximately **0.41 (Option D)**.", "D"),
        ("This matches option A.", "A"),
        ("<answer>B</answer>", "B"),
        ("Choice C.", "C"),
        ("答案：D", "D"),
        ("Correct option: B - 10^-3 eV", "B"),
        ("Choices: A) 9, B) 10, C) 12, D) 15.\n\nAnswer: 12", "C"),
    ],
)
def test_committed_letter(response: str, expected: str) -> None:
    assert letter(response) == (expected, "")


@pytest.mark.parametrize(
    "response",
    [
        "**Without the coupling constant (J) and the field (B) no shift can be computed.**",
        "1. A strong base deprotonates the alcohol.\n2. The alkoxide attacks the carbon.\nThen we",
        "Let me look at each option.\nA. The dimer forms.\nB. The monomer forms.\nC. Neither",
        "We need the symmetry of the complex, which has a C2 axis and",
        "Option C is tempting, but let us first check the energies",
        "If the answer is B, the ratio would exceed one; let us test that against the data",
        "The answer is not B, since the ratio would exceed one; let us test",
        "So the answer would be G.\n\nBut wait, the second blank does not fit G, so",
        "So the answer is C.\n\nHmm, the third blank could also match D. Let me check the",
        "So the answer is A.\n\nLet me double-check the second blank, which",
        "Therefore the answer is E. Alternatively, maybe the answer is F because the",
        '{"reasoning": "(B) gives 2/81 but the true value is 2/25", "answer": "None of the above"}',
        "So the product is:\n\nC. 2-methylpentane (without the extra methyl), but it is not among the "
        "options.\n\nHowever, if we consider the options and the",
        "This does not match option A.",
        "Examine each option.\n\n**Option A: 10^-3 eV** is too small.\n**Option B: 10^-8 eV** fits.\n\nThe",
        "#### **Option H: unsafe practices, wants**\n- valid wording\n- weaker emphasis\n\nOverall, the",
        "Choices: A) 9, B) 10, C) 12, D) 15.\n\nAnswer: 11",
        "",
    ],
)
def test_no_commitment_is_no_answer(response: str) -> None:
    assert letter(response) == (None, "no_answer")


@pytest.mark.parametrize(
    "response",
    [
        "The answer is likely D3h (option A) or C3v (option C).",
        "Answer: B or D",
        "\\boxed{A, C}",
        "The answer is \\boxed{B}\\boxed{D}",
        "Final answer: A and C",
        '{"reasoning": "both hold", "answer": "B, C"}',
        "So the answer is either I or H, depending on the second blank.",
    ],
)
def test_hedge_between_two_options_is_ambiguous(response: str) -> None:
    assert letter(response) == (None, "ambiguous")


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("The ratio comes out as $\\boxed{0.85}$.", "A"),
        ("Therefore the answer is 2-methylbutanal.", "D"),
        ("The answer is $\\boxed{3.4\\text{ eV}}$", "C"),
        ("The answer is 1.70.", "B"),
        ("The answer is $\\boxed{5}$.", None),
    ],
)
def test_answer_given_as_option_text(response: str, expected: str | None) -> None:
    assert letter(response, OPTIONS)[0] == expected


def test_option_text_needs_the_options() -> None:
    assert letter("The ratio comes out as $\\boxed{0.85}$.") == (None, "no_answer")


def test_check_passes_options_to_extraction() -> None:
    assert check("\\boxed{0.85}", "A", "choice", options=OPTIONS).correct
    assert not check("\\boxed{0.85}", "B", "choice", options=OPTIONS).correct
