from agents.views.team import team

__all__ = ["team"]
