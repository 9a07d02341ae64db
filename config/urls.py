from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from agents.views import telephony as voice_webhooks
from agents.views.sign_in import SignInView, SignOutView
from compliance import views as compliance_views
from compliance import webhooks as compliance_webhooks
from config.health import healthz
from recovery import webhooks


def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask /favicon.ico of every page that names no icon (the admin, the API browsers, a JSON answer);
    without this each would log a 404 in the browser's console."""
    return HttpResponseRedirect(static("favicon.svg"))

urlpatterns = [
    path("", include("dashboards.urls")),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", SignOutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("webhooks/shopify/", webhooks.shopify_webhook, name="webhook-shopify"),
    path("webhooks/woocommerce/", webhooks.woocommerce_webhook, name="webhook-woocommerce"),
    path("webhooks/twilio/sms/", compliance_webhooks.twilio_sms_webhook, name="webhook-twilio-sms"),
    path("webhooks/twilio/sms/status/", compliance_webhooks.twilio_sms_status_webhook,
         name="webhook-twilio-sms-status"),
    path("webhooks/twilio/voice/", voice_webhooks.twilio_voice_webhook, name="webhook-twilio-voice"),
    path("webhooks/twilio/voice/status/", voice_webhooks.twilio_voice_status_webhook,
         name="webhook-twilio-voice-status"),
    path("api/v1/", include("recovery.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI's start-up script as a file of its own (the split view), so the policy needs no inline script;
    # both API browsers style themselves with <style> elements (ReDoc renders in a worker too), so their pages
    # alone allow inline styles.
    path("api/docs/", csp_update({"style-src": [UNSAFE_INLINE]})(
        SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    path("api/redoc/", csp_update({"style-src": [UNSAFE_INLINE], "worker-src": ["blob:"]})(
        SpectacularRedocView.as_view(url_name="api-schema", template_name="api/redoc.html")), name="api-redoc"),
    path("carts/", include("recovery.urls")),
    path("carts/", include("agents.cart_urls")),  # the cart page: what recovery, the gate and agents know
    path("agents/", include("agents.urls")),
    path("agent/", include("agents.console_urls")),
    path("compliance/", include("compliance.urls")),
    path("unsubscribe/<str:token>/", compliance_views.unsubscribe, name="unsubscribe"),
]

# The JSON endpoints answer Django's own errors (too large a body, too many fields, no such address) in JSON.
handler400 = "config.error_views.bad_request"
handler403 = "config.error_views.permission_denied"
handler404 = "config.error_views.page_not_found"
handler500 = "config.error_views.server_error"
