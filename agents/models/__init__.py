"""The recovery team: profiles and callbacks (`profile`), and the calls they make (`calls`)."""

from agents.models.calls import Call, DraftOrder, FrictionReason, ValuePoint
from agents.models.profile import AgentNotice, AgentProfile, AgentStatusChange, AwayReason, Callback

__all__ = ["AgentNotice", "AgentProfile", "AgentStatusChange", "AwayReason", "Call", "Callback", "DraftOrder",
           "FrictionReason", "ValuePoint"]
