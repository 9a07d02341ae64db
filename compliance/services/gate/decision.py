"""What the gate answers (`Decision`) and what it builds that answer from (`Evaluation`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from compliance.services import hours

# Reasons that waiting resolves; any other denial has no next_allowed_at.
WAITABLE = {"outside_calling_hours", "no_calls_sunday", "no_calls_holiday", "frequency_cap_24h", "minimum_gap"}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reasons: tuple[str, ...] = ()
    explanations: tuple[str, ...] = ()
    next_allowed_at: datetime | None = None
    basis: str = ""
    notes: tuple[str, ...] = ()
    list_versions: dict[str, int] = field(default_factory=dict)
    recipient_timezones: tuple[str, ...] = ()
    decision_id: int | None = None

    @property
    def messages(self) -> dict[str, str]:
        return dict(zip(self.reasons, self.explanations, strict=True))


@dataclass
class Evaluation:
    """What the rules found so far; becomes a Decision."""

    at: datetime
    reasons: list[str] = field(default_factory=list)
    explanations: list[str] = field(default_factory=list)
    waits: list[datetime] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    basis: str = ""
    list_versions: dict[str, int] = field(default_factory=dict)
    timezones: tuple[str, ...] = ()
    locations: list = field(default_factory=list)
    state_cap: int | None = None

    def deny(self, code: str, sentence: str, *, until: datetime | None = None) -> None:
        self.reasons.append(code)
        self.explanations.append(sentence)
        if until is not None:
            self.waits.append(until)

    def decision(self) -> Decision:
        return Decision(
            allowed=not self.reasons, reasons=tuple(self.reasons), explanations=tuple(self.explanations),
            next_allowed_at=self._next_allowed_at(), basis=self.basis, notes=tuple(self.notes),
            list_versions=self.list_versions, recipient_timezones=self.timezones,
        )

    def _next_allowed_at(self) -> datetime | None:
        if not self.reasons or not set(self.reasons) <= WAITABLE or not self.waits:
            return None
        candidate = max(self.waits)
        if self.locations:  # a cap may free up at night: move on to the next calling window
            for _ in range(3):
                verdict = hours.calling_hours_check(locations=self.locations, at=candidate)
                if verdict.allowed or verdict.next_allowed_at is None:
                    break
                candidate = verdict.next_allowed_at
        return candidate
