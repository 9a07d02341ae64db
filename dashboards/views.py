from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dashboards import selectors
from recovery.selectors import recent_carts


@login_required
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "summary": selectors.recovery_summary(days=30),
        "speed": selectors.speed_to_lead(days=30),
        "funnel": selectors.script_funnel(days=30),
        "recent_carts": recent_carts(limit=15),
    }
    return render(request, "dashboards/home.html", context)
