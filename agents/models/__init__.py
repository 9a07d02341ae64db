"""The recovery team: profiles and callbacks (`profile`), and the calls they make (`calls`)."""

from agents.models.calls import Call, DraftOrder, FrictionReason, ValuePoint
from agents.models.profile import AgentProfile, AgentStatusChange, Callback

__all__ = ["AgentProfile", "AgentStatusChange", "Call", "Callback", "DraftOrder", "FrictionReason", "ValuePoint"]
