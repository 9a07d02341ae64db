from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from agents import roles, selectors


@roles.role_required(roles.SUPERVISOR, roles.ADMIN)
def team(request: HttpRequest) -> HttpResponse:
    return render(request, "agents/team.html", {"members": selectors.team_members(selectors.store_scope(request.user))})
