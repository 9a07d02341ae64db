from django.urls import path

from agents.console_steps import ACTIONS
from agents.views import console

app_name = "console"

urlpatterns = [
    path("", console.home, name="home"),
    path("status/", console.status, name="status"),
    path("notices/", console.notices, name="notices"),
    path("notices/dismiss/", console.notice_dismiss, name="notice-dismiss"),
    path("next/", console.take_next, name="next"),
    path("voice/token/", console.voice_token, name="voice-token"),
    path("calls/<int:call_id>/", console.call_page, name="call"),
    path("calls/<int:call_id>/step/", console.step, name="step"),
    path("calls/<int:call_id>/back/<int:to_step>/", console.back, name="back"),
    # One URL per step action of the registry (link, invoice, paid, callback, pass), all served by step_action.
    *(path(f"calls/<int:call_id>/{action.path}/", console.step_action, {"action": action.name}, name=action.name)
      for action in ACTIONS.values()),
    path("calls/<int:call_id>/dial/", console.dial, name="dial"),
    path("calls/<int:call_id>/line/", console.line, name="line"),
    path("calls/<int:call_id>/hangup/", console.hang_up, name="hang-up"),
]
