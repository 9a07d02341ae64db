"""The recovery team: profiles and callbacks (`profile`), the calls they make (`calls`) and the stores' own
spoken lines (`script`)."""

from agents.models.calls import Call, DraftOrder, FrictionReason, ValuePoint
from agents.models.profile import AgentNotice, AgentProfile, AgentStatusChange, AwayReason, Callback
from agents.models.script import ScriptLine

__all__ = ["AgentNotice", "AgentProfile", "AgentStatusChange", "AwayReason", "Call", "Callback", "DraftOrder",
           "FrictionReason", "ScriptLine", "ValuePoint"]
