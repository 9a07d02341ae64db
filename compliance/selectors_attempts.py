"""What counts as a contact attempt, once, and the gate's part of a cart's history.

An attempt counts when it left: the gate allowed it and the provider took it. A text or an email the provider never
took (`not_sent`, an outage) is on the record but counts nowhere: not towards caps, not on the cart page, not in
the priority sentence, not on the dashboard. Every screen that shows a number of attempts reads it through
`counted_attempts` (the ORM) or `COUNTED_ATTEMPT_SQL` (the dashboards' roll-ups), so the cart page and the
dashboard cannot disagree on what an attempt is.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from compliance.models import ContactAttempt

NOT_SENT = "not_sent"


def counted_attempt_sql(alias: str = "attempt") -> str:
    """The same rule as SQL, for statements over `compliance_contactattempt` under `alias`."""
    return f"{alias}.outcome <> '{NOT_SENT}'"


COUNTED_ATTEMPT_SQL = counted_attempt_sql()


def counted_attempts() -> QuerySet[ContactAttempt]:
    """The attempts that count: every one the provider took (or, for a call, that was dialled)."""
    return ContactAttempt.objects.exclude(outcome=NOT_SENT)


@dataclass(frozen=True)
class AttemptCounts:
    """A cart's attempts that count, in all and by channel."""

    total: int = 0
    voice: int = 0
    sms: int = 0
    email: int = 0

    def sentence(self) -> str:
        """"1 contact attempt (1 email)", "3 contact attempts (2 calls, 1 text)", "no contact attempt yet"."""
        if not self.total:
            return "no contact attempt yet"
        parts = [f"{count} {name if count == 1 else plural}" for count, name, plural in (
            (self.voice, "call", "calls"), (self.sms, "text", "texts"), (self.email, "email", "emails")) if count]
        return f"{self.total} contact attempt{'s' if self.total != 1 else ''} ({', '.join(parts)})"


def cart_attempt_counts(cart_id: int) -> AttemptCounts:
    """The cart's attempts that count, by channel, in one aggregate."""
    totals = counted_attempts().filter(cart_id=cart_id).aggregate(
        total=Count("pk"), **{channel: Count("pk", filter=Q(channel=channel)) for channel in ("voice", "sms", "email")})
    return AttemptCounts(**totals)


def attempts_by_cart(cart_ids: list[int]) -> dict[int, int]:
    """Each cart's attempts that count (cart id -> count; a cart with none is absent)."""
    return dict(counted_attempts().filter(cart_id__in=cart_ids).order_by().values_list("cart_id")
                .annotate(count=Count("pk")))


# The gate's part of a cart's history, as a fragment of the history statement that `agents.selectors` composes
# (each owner gives its rows as (at, source, id, data)): the attempts on the cart, and the gate's refusals of its
# customer's number or address at its store (a refusal names no cart). Parameters: %(cart)s, %(store)s, %(phone)s,
# %(email)s, %(limit)s.
ATTEMPTS_HISTORY_SQL = """
(SELECT attempt.at, 'attempt', attempt.id, jsonb_build_object(
        'channel', attempt.channel, 'outcome', attempt.outcome, 'provider_status', attempt.provider_status,
        'provider_error', attempt.provider_error, 'seconds', attempt.duration_seconds, 'basis', decision.basis,
        'who', coalesce(nullif(trim(agent.first_name || ' ' || agent.last_name), ''), agent.username))
 FROM compliance_contactattempt AS attempt
 JOIN compliance_contactdecision AS decision ON decision.id = attempt.decision_id
 LEFT JOIN auth_user AS agent ON agent.id = attempt.agent_id
 WHERE attempt.cart_id = %(cart)s ORDER BY attempt.at DESC LIMIT %(limit)s)
UNION ALL
(SELECT decision.at, 'refusal', decision.id, jsonb_build_object(
        'channel', decision.channel, 'explanations', decision.explanations, 'requester', decision.requester)
 FROM compliance_contactdecision AS decision
 WHERE decision.store_id = %(store)s AND NOT decision.allowed
   AND ((%(phone)s <> '' AND decision.phone = %(phone)s) OR (%(email)s <> '' AND decision.email = %(email)s))
 ORDER BY decision.at DESC LIMIT %(limit)s)
"""
CHANNEL_LABELS = {"voice": "Call", "sms": "Text", "email": "Email"}


def attempt_history_text(data: dict) -> tuple[str, str]:
    """(kind, sentence) of an attempt row of ATTEMPTS_HISTORY_SQL."""
    channel = data.get("channel", "")
    outcome = (data.get("outcome") or "in progress").replace("_", " ")
    status = data.get("provider_status") or ""
    parts = [f"{data.get('who') or 'automated'}: {outcome}"]
    if status and channel != "voice" and status != data.get("outcome"):
        parts.append(status)
    if data.get("provider_error"):
        parts.append(data["provider_error"])
    if data.get("seconds"):
        parts.append(f"{data['seconds']} s")
    if outcome == NOT_SENT.replace("_", " "):
        parts.append("not counted: the provider never took it")
    return CHANNEL_LABELS.get(channel, channel), ", ".join(parts)


def refusal_history_text(data: dict) -> tuple[str, str]:
    """(kind, sentence) of a refusal row of ATTEMPTS_HISTORY_SQL."""
    channel = CHANNEL_LABELS.get(data.get("channel", ""), data.get("channel", "")).lower()
    reasons = " ".join(data.get("explanations") or []) or "no reason recorded"
    return "Gate", f"{channel} refused: {reasons}"
