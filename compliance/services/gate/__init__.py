"""The contact gate: the one function every outbound call, text and email passes.

`check_contact` evaluates opt-outs, Do-Not-Call lists, the legal basis
(consent or an inquiry), calling hours in the recipient's local time and
frequency caps, writes its decision to the append-only audit log, and fails
closed: any error inside it denies contact. `contact_attempt_start` records an
allowed attempt in the same transaction as its decision, under a per-number
lock, so two agents (or an agent and a worker) cannot both pass a cap.

It runs before every contact, so a call costs two round trips: one statement
reads every fact (`compliance.selectors.contact_facts`, fresh each call: an
opt-out is effective at once) and one INSERT writes the audit row.

- `check.py`: `check_contact`, its transactions and its failure handling;
- `rules.py`: the rules, applied to the facts;
- `decision.py`: `Decision` and the evaluation the rules fill in;
- `audit.py`: the audit row;
- `attempts.py`: `contact_attempt_start`, `contact_attempt_finish` and what the senders report afterwards
  (`contact_attempt_delivery_record`, `contact_attempt_line_record`).
"""

from compliance.services.gate.attempts import (
    contact_attempt_delivery_record,
    contact_attempt_finish,
    contact_attempt_line_record,
    contact_attempt_start,
)
from compliance.services.gate.check import check_contact
from compliance.services.gate.decision import Decision

__all__ = [
    "Decision",
    "check_contact",
    "contact_attempt_delivery_record",
    "contact_attempt_finish",
    "contact_attempt_line_record",
    "contact_attempt_start",
]
