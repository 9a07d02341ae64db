"""Compliance screens (DNC imports, opt-outs, audit search) arrive with the compliance gate."""

app_name = "compliance"

urlpatterns: list = []
