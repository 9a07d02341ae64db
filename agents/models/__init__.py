"""The recovery team: profiles and callbacks (`profile`), and the calls they make (`calls`)."""

from agents.models.calls import Call, DraftOrder, FrictionReason, ValuePoint
from agents.models.profile import AgentProfile, Callback

__all__ = ["AgentProfile", "Call", "Callback", "DraftOrder", "FrictionReason", "ValuePoint"]
