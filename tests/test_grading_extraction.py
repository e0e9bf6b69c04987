"""Extraction read as a careful human grader reads: final answers, retractions, conclusions, abstentions.

Every case is made up in the shape of real model outputs; `extract` runs in-process (no sympy).
"""

from __future__ import annotations

import pytest

from evalscale.grading import extract


def math_answer(response: str) -> str | None:
    return extract(response, "math")[0]


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        # later retractions honoured
        ("The answer is 12. Hold on, it should be 15.", "15"),
        ("So the final answer is $36$. Wait, I miscounted: the correct total is 38.", "38"),
        ("The answer is 9.\n\nActually, it's 11 because the endpoints count.", "11"),
        ("Final answer: 20. Oops, that is wrong; it should have been 24.", "24"),
        ("The answer is $\\frac{2}{3}$. Hmm, let me re-check: $\\frac{2}{3}$ is right.", "\\frac{2}{3}"),
        ("The answer is 7. Let me verify: 3 + 4 = 7. Yes.", "7"),
        ("The answer is 7.\nGood.", "7"),
        # retraction without a new value: no answer
        ("The answer is 100. Wait, that is wrong, the pairs overlap and", None),
        ("The final answer is 64. Hmm, no, I made a mistake in the second step.", None),
        # a second thought that never comes back to the answer: still deciding
        ("So the answer is 12.\n\nWait, the second case double counts the corners, so we", None),
        ("The final answer is 30. Let me double-check the case with two red balls, where", None),
        ("So the answer is 12.\n\nWait, let me verify: 3 * 4 = 12. Yes.", "12"),
    ],
)
def test_retractions(response: str, expected: str | None) -> None:
    assert math_answer(response) == expected


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("We add the three groups.\n\nSo, the total comes to 58.\n\nI think that's the answer.", "58"),
        ("Counting each case, we get 9 arrangements in all.\n\nI think that's it.", "9"),
        ("Therefore, the area of the triangle is $\\frac{15}{2}$.", "\\frac{15}{2}"),
        ("Thus the smallest such integer is 127.", "127"),
        ("Hence $x = 4$.", "x = 4"),
        ("Putting everything together, the probability is $\\frac{5}{36}$.", "\\frac{5}{36}"),
        ("So in total she has six marbles left.", "6"),
        ("Therefore, the number of students is 14 students.", "14"),
        ("Since $0.05 \\times 800 = 40$ grams are lost daily, the total comes to 800 grams.", "800"),
        (
            "Therefore, the value we want is\n\\[\n\\frac{\\sqrt{3}}{4}\n\\]\n\nHope this helps!",
            "\n\\frac{\\sqrt{3}}{4}\n",
        ),
    ],
)
def test_concluding_sentence_without_marker(response: str, expected: str) -> None:
    assert (math_answer(response) or "").strip() == expected.strip()


@pytest.mark.parametrize(
    "response",
    [
        "Expanding, we reach $(y-\\frac{1}{3})^2 + 4$ and then",
        "Let me compute the discriminant: $b^2 - 4ac = 25 - 24 = 1$, so the roots are",
        "First, $2^{10} = 1024$. Next we need to compute",
        "So we need to find the value of $x^2 + 4$.",
        "Let's check $n = 5$:",
        "I remember this problem's answer being 3/7.",
        "If the answer is 12, then the sum would be even. Let us compute the sum",
        "I recall that the answer is $\\frac{3}{7}$, but let me derive it properly. First,",
        "Now we consider the case $k = 3$, which gives $14$",
        "The answer is not 5, since 5 fails the second condition, so we",
        "",
    ],
)
def test_no_final_answer_abstains(response: str) -> None:
    assert math_answer(response) is None


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("Reasoning... the answer is \\boxed{18}.</think>\n\nThe solution: we first note that", "18"),
        ("<|begin_of_thought|>So the answer is 256.<|end_of_thought|>\n\n<|begin_of_solution|>\nWe", "256"),
        ("<|im_start|>think\nFinal answer: $\\frac{1}{9}$\n<|im_start|>answer\nAnswer: We", "\\frac{1}{9}"),
        ("thinking: the answer is 3.</think>\nThe answer is $\\boxed{4}$.", "4"),
        ("thinking: 3 + 4 = 7 and then</think>\n\nLet me restate", None),
    ],
)
def test_cut_off_solution_falls_back_to_thinking(response: str, expected: str | None) -> None:
    assert math_answer(response) == expected


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("The answer is 14 students.", "14"),
        ("The answer is four coins.", "4"),
        ("Final Answer: twenty-one", "21"),
        ("The answer is the $5^{\\text{th}}$ floor.", "5"),
        ("The final answer is $3^{\\text{rd}}$", "3"),
        ("\\boxed 5", "5"),
        ("so $\\boxed 12$ is it", "12"),
        ("The answer is 41!", "41"),
        ("\\boxed{10!}", "10!"),
        ("**Answer:** $2\\sqrt{5}$", "2\\sqrt{5}"),
        (
            "The answer is: Since $0.03 \\times 1500 = 45$ litres are used each day, the tank holds 1500 l.",
            "1500",
        ),
    ],
)
def test_units_words_and_fragments(response: str, expected: str) -> None:
    assert math_answer(response) == expected


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("If we add the three parts, the final answer is 12.", "12"),
        ("As expected, the answer is 9.", "9"),
        ("The answer is 5, if we count the endpoints.", "5"),
        ("If the answer is 12, the sum is even. Let us compute", None),
        ("Maybe the answer is 4? Let us see.", None),
        ("According to the textbook the answer is 8, but we derive it. First,", None),
        ("The answer is x^2 + 1 when x is positive, as shown above.", None),
        ("So the total is 3 + 4 = 7 apples.", "7"),
        ("This completes the proof, and the answer is correct.", None),
        ('```json\n{"reasoning": "sum the roots", "answer": "\\\\frac{7}{2}"}\n```', "\\frac{7}{2}"),
        ("Final answer: 137 and 1/2 miles", "137\\frac{1}{2}"),
        ("So the roots are $y = -1$ and $y = 4$.", "y = -1, y = 4"),
        ("Therefore the solutions are 2, 7, and 9.", "2, 7, 9"),
        ("So the answer is $6$, and the sum of the digits is 9.", "6"),
        ("We add the costs.\n#### 72", "72"),
        ("The final answer is \\boxed{15}.\nThe final answer is \\boxed{1", "15"),
    ],
)
def test_own_final_statements_only(response: str, expected: str | None) -> None:
    assert math_answer(response) == expected


def test_marked_answer_inside_thinking_is_not_used_when_solution_answers() -> None:
    assert math_answer("maybe \\boxed{3}</think>\nSo, the total comes to 41.") == "41"


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        # a closing remark after the conclusion is skipped
        ("Therefore, the hexagon has 9 diagonals.\n\nI think that's the correct answer.", "9"),
        (
            "So, the vertex is \\((4, -7)\\).\n\nI think that's the final answer. Unless I'm missing "
            "something, this seems complete.",
            "(4, -7)",
        ),
        # the fragment of the sentence that is the answer
        ("So, \\(x = 3\\) is indeed the correct solution.", "x = 3"),
        ("48.2 is the correct sum of 35.7 and 12.5.", "48.2"),
        ("The answer is indeed 7.", "7"),
        ("Final Answer: The smallest $k$ is 12.", "12"),
        ("Answer: 40 daps equal 42 baps.", "40"),
        ("So the probability is 33/100, or 0.33.", "33/100"),
        # a display after "In conclusion", before an end-of-solution token
        ("In conclusion, we have:\n\n$$\\cot B = 3$$\n\n<|end_of_solution|>", "\\cot B = 3"),
        # a solution cut off right after it opens: the thinking's last stated answer
        ("Therefore, the maximum is 27.<|end_of_thought|>\n\n<|begin_of_solution|>\n\nLet \\( x, y", "27"),
        ("So far 27, and next we check<|end_of_thought|>\n\n<|begin_of_solution|>\n\nLet \\( x, y", None),
        # small forms
        ("\\boxed{\\boxed{5}}", "5"),
        ("Answer $ 7 $", "7"),
        ("the answer is the 11th grade", "11"),
        ("答案：12", "12"),
        # one-word prose answers
        ("Turning right twice from north, so he ends up facing west.", "\\text{west}"),
        ("Comparing the two times, Priya would finish first.", "\\text{Priya}"),
        ("Comparing the two times, Priya would not finish first.", None),
        ("So he might end up facing west.", None),
    ],
)
def test_third_round_shapes(response: str, expected: str | None) -> None:
    assert math_answer(response) == expected
