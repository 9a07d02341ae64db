from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from agents import selectors
from core import access


@access.role_required(access.SUPERVISOR, access.ADMIN)
def team(request: HttpRequest) -> HttpResponse:
    return render(request, "agents/team.html", {"members": selectors.team_members(access.store_scope(request.user))})
