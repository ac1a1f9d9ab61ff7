"""The fitted support check, through the real LLM path (a scripted OpenAI-compatible server on
127.0.0.1, the real index of the bundled articles): the cases of issue 17, each sentence
kept with the sentence that supports it, or dropped."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fake_llm_server import FakeLLM, Reply, Request
from test_llm import check, streamed, with_llm

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks" / "support"))
from evidence import shown_for

from rag.errors import RagError
from rag.llm.support import MODEL_FILE, NAMES, VERIFIER_NAMES, SupportCheck, SupportModel

AIRSPACE = "Why did NATO refuse to close Ukraine's airspace?"
WAR = (
    "NATO did not close Ukraine's airspace at the start of Russia's full-scale invasion in 2022 "
    "because it believed that doing so would lead to war with Moscow."
)
PAINFUL = (
    'The former secretary general described a "painful moment" in February 2022 when he refused '
    "to Volodymyr Zelenskyy in his desperate request to establish a no-fly zone over Ukraine."
)


@pytest.fixture(scope="module")
def fake():
    with FakeLLM() as server:
        yield server


def test_a_plausible_fabrication_with_the_passages_names_and_date_is_dropped(seed_index, fake):
    def script(request: Request) -> Reply:
        poland = request.passage("drone attack on Poland")
        return Reply(
            f"NATO feared that closing Ukraine's airspace would lead to war with Moscow "
            f"[{request.passage('war with Moscow')}]. Foreign minister Sikorski called for NATO "
            f"troops to be deployed to western Ukraine in October 2025 [{poland}]."
        )

    assistant = with_llm(seed_index, fake.url(script))
    answer = streamed(assistant, "What did Sikorski propose in 2025?")
    check(assistant, answer)
    assert "Sikorski" not in answer.text and "war with Moscow" in answer.text
    assert answer.note == "checked against the passages: 1 unsupported sentence dropped"


def test_a_sentence_cited_to_the_wrong_passage_quotes_the_one_that_supports_it(seed_index, fake):
    def script(request: Request) -> Reply:
        kiev = request.passage("near Kiev")
        assert kiev != request.passage("war with Moscow"), "the marker must point elsewhere"
        return Reply(
            f"NATO believed that closing Ukraine's airspace would lead to war with Moscow [{kiev}]."
        )

    assistant = with_llm(seed_index, fake.url(script))
    answer = streamed(assistant, AIRSPACE)
    check(assistant, answer)
    assert [c.quote for c in answer.citations] == [WAR]
    assert answer.note == "checked against the passages: 1 citation corrected"


def test_the_quote_is_the_sentence_that_says_it_not_its_neighbour(assistant):
    seen = shown_for(assistant, "How did Stoltenberg describe refusing Zelenskyy?")
    support = SupportCheck(seen.evidence.data, seen.shown, seen.evidence.embed)
    best = support.best("Stoltenberg called turning down Zelenskyy a painful moment.")
    assert best is not None
    doc, start, end = support.span(best.quote)
    assert seen.evidence.data.document(doc).text[start:end] == PAINFUL


@pytest.mark.xfail(
    strict=True,
    reason="known limit: the paraphrase shares too few words with its quote; the fitted check "
    "gives it a probability below the keep threshold (see README, LLM answers)",
)
def test_the_painful_moment_paraphrase_is_kept_with_its_quote(seed_index, fake):
    script = lambda request: Reply(  # noqa: E731
        "Stoltenberg called turning down Zelenskyy a painful moment "
        f"[{request.passage('painful moment')}]."
    )
    assistant = with_llm(seed_index, fake.url(script))
    answer = streamed(assistant, "How did Stoltenberg describe refusing Zelenskyy?")
    check(assistant, answer)
    assert answer.text == "Stoltenberg called turning down Zelenskyy a painful moment. [1]"
    assert [c.quote for c in answer.citations] == [PAINFUL]


@pytest.mark.xfail(
    strict=True,
    reason="known limit: 'destroying' and 'take out' share no word; the fitted check drops "
    "this true paraphrase (see README, LLM answers)",
)
def test_a_true_paraphrase_in_a_longer_reply_is_kept_with_the_two_sentences_it_joins(
    seed_index, fake
):
    def script(request: Request) -> Reply:
        belarus, war = request.passage("Belarus"), request.passage("war with Moscow")
        return Reply(
            f"NATO refused to close Ukraine's airspace in 2022 [{war}]. It believed that doing "
            f"so would lead to war with Moscow [{war}]. Enforcing it would have meant destroying "
            "Russian air defence systems, including those in Belarus, and shooting down Russian "
            f"planes over Ukraine [{belarus}]. As Biden put it, they would not risk a third world "
            f"war for Ukraine [{request.passage('third world war')}]."
        )

    assistant = with_llm(seed_index, fake.url(script))
    answer = streamed(assistant, "What would closing Ukraine's airspace have required?")
    check(assistant, answer)
    assert "Enforcing it would have meant destroying Russian air defence" in answer.text
    assert answer.text.count("[") == 4 and answer.note == ""
    quote = next(c.quote for c in answer.citations if "Belarus" in c.quote)
    assert quote.startswith("However, he noted") and "shoot it down" in quote, quote


@pytest.mark.parametrize(
    "claim",
    [
        pytest.param(
            "NATO closed Ukraine's airspace at the start of the full-scale invasion in 2022.",
            marks=pytest.mark.xfail(
                strict=True, reason="known limit: a claim that drops its quote's negation is kept"
            ),
        ),
        "Stoltenberg agreed to Zelenskyy's request to establish a no-fly zone over Ukraine.",
        "Zelenskyy called Stoltenberg from a bunker in Lviv.",
        "NATO closed the airspace over Bosnia and Herzegovina in the 1980s.",
    ],
    ids=["negation", "changed-action", "swapped-entity", "changed-date"],
)
def test_hard_unsupported_claims_are_dropped(seed_index, fake, claim):
    def script(request: Request) -> Reply:
        true = f"NATO closed the airspace over Bosnia [{request.passage('Bosnia')}]."
        return Reply(f"{true} {claim[:-1]} [1].")

    answer = streamed(with_llm(seed_index, fake.url(script)), AIRSPACE)
    assert answer.text == "NATO closed the airspace over Bosnia. [1]", answer.text
    assert "1 unsupported sentence dropped" in answer.note


@pytest.mark.slow  # a fresh process
def test_the_check_imports_no_torch_at_question_time(seed_index, fake):
    url = fake.url(lambda r: Reply(f"NATO did not close the airspace [{r.passage('Moscow')}]."))
    script = (
        "import sys, rag; from rag.llm import LLMSettings; "
        "a = rag.load_index(sys.argv[1], llm=LLMSettings(base_url=sys.argv[2], model='m')); "
        "answer = a.ask('Did NATO close the airspace?'); "
        "print(answer.found, bool(answer.citations), 'torch' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(seed_index), url], capture_output=True, text=True
    )
    assert out.stdout.split() == ["True", "True", "False"], out.stderr


def test_the_shipped_model_matches_the_features_and_says_what_it_was_fitted_on():
    record = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    model = SupportModel.from_json(record)
    assert record["ranker"]["features"] == list(NAMES) and model.ranker.weights.shape == (
        len(NAMES),
    )
    assert record["verifier"]["features"] == list(VERIFIER_NAMES)
    assert 0 < model.threshold < 1 and record["fitted_on"]["claims"] >= 300
    stale = {**record, "ranker": {**record["ranker"], "features": list(NAMES[:-1])}}
    with pytest.raises(RagError, match="does not match the support features"):
        SupportModel.from_json(stale)
