"""Compliance records: DNC lists, opt-outs, consent, per-store policy, calling rules,
contact attempts (call detail records), the append-only decision audit log, inbound texts (once per
provider id), and privacy requests with the suppressions and legal holds they leave."""

from compliance.models.audit import ContactAttempt, ContactDecision
from compliance.models.choices import Channel, ConsentBasis
from compliance.models.consent import ConsentRecord
from compliance.models.dnc import DncEntry, DncImport, DncList
from compliance.models.inbound import InboundMessage
from compliance.models.optouts import OptOut
from compliance.models.policy import CallingRule, CompliancePolicy
from compliance.models.privacy import LegalHold, PrivacyRequest, Suppression
from compliance.models.trail import AuditEvent

__all__ = [
    "AuditEvent",
    "CallingRule",
    "Channel",
    "CompliancePolicy",
    "ConsentBasis",
    "ConsentRecord",
    "ContactAttempt",
    "ContactDecision",
    "DncEntry",
    "DncImport",
    "DncList",
    "InboundMessage",
    "LegalHold",
    "OptOut",
    "PrivacyRequest",
    "Suppression",
]
