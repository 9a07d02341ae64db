from django.urls import path

from agents.views import console

app_name = "console"

urlpatterns = [
    path("", console.home, name="home"),
    path("status/", console.status, name="status"),
    path("next/", console.take_next, name="next"),
    path("voice/token/", console.voice_token, name="voice-token"),
    path("calls/<int:call_id>/", console.call_page, name="call"),
    path("calls/<int:call_id>/step/", console.step, name="step"),
    path("calls/<int:call_id>/pass/", console.pass_cart, name="pass"),
    path("calls/<int:call_id>/back/<int:to_step>/", console.back, name="back"),
    path("calls/<int:call_id>/link/", console.send_link, name="send-link"),
    path("calls/<int:call_id>/invoice/", console.invoice, name="invoice"),
    path("calls/<int:call_id>/paid/", console.paid, name="paid"),
    path("calls/<int:call_id>/callback/", console.callback, name="callback"),
    path("calls/<int:call_id>/dial/", console.dial, name="dial"),
    path("calls/<int:call_id>/line/", console.line, name="line"),
    path("calls/<int:call_id>/hangup/", console.hang_up, name="hang-up"),
]
