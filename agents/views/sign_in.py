"""Signing in and out: Django's own views, with going on and off duty as an explicit step of the POST."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import reverse

from agents.services.duty import agent_duty_end, agent_duty_start
from core.access import ADMIN, AGENT, SUPERVISOR, user_roles


class SignInView(auth_views.LoginView):
    """The sign-in form; an agent who signs in is on duty (the hours the dashboards cost start here) and lands on
    their console, where the work is; supervisors and admins land on the organisation's figures."""

    def get_default_redirect_url(self) -> str:
        roles = user_roles(self.request.user)
        if AGENT in roles and not roles & {SUPERVISOR, ADMIN}:
            return reverse("console:home")
        return super().get_default_redirect_url()

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        agent_duty_start(user=form.get_user())
        return response


class SignOutView(auth_views.LogoutView):
    """Sign-out (POST only); an agent is off duty first, while the request still names them."""

    def post(self, request, *args, **kwargs) -> HttpResponse:
        agent_duty_end(user=request.user)
        return super().post(request, *args, **kwargs)
