"""The recovery team: profiles and callbacks (`profile`), the calls they make (`calls`) and the stores' own
spoken lines (`script`)."""

from agents.models.calls import Call, DraftOrder, FrictionReason, ValuePoint
from agents.models.profile import AgentProfile, AgentStatusChange, Callback
from agents.models.script import ScriptLine

__all__ = ["AgentProfile", "AgentStatusChange", "Call", "Callback", "DraftOrder", "FrictionReason", "ScriptLine",
           "ValuePoint"]
