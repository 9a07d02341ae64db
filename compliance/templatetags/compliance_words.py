"""The gate's reason and basis codes in words on screens (`compliance.services.gate.reasons`)."""

from __future__ import annotations

from django import template

from compliance.services.gate.reasons import reason_words as words_for

register = template.Library()


@register.filter
def reason_words(code: str) -> str:
    return words_for(code)


@register.filter
def reasons_explained(decision) -> list[tuple[str, str, str]]:
    """(code, words, sentence) for each reason of a decision, in the order the gate gave them."""
    sentences = list(decision.explanations or [])
    return [(code, words_for(code), sentences[index] if index < len(sentences) else "")
            for index, code in enumerate(decision.reasons or [])]
