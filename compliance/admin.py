import json
import logging

from django.contrib import admin
from django.http import HttpResponse

from compliance.models import (
    AuditEvent,
    CallingRule,
    CompliancePolicy,
    ConsentRecord,
    ContactAttempt,
    ContactDecision,
    DncImport,
    DncList,
    InboundMessage,
    LegalHold,
    OptOut,
    PrivacyRequest,
    Suppression,
)
from compliance.selectors_privacy import customer_data_export
from compliance.services.trail import audit_export

logger = logging.getLogger(__name__)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of what happened: searchable, never edited or deleted here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CompliancePolicy)
class CompliancePolicyAdmin(admin.ModelAdmin):
    list_display = ("store", "call_basis", "ebr_exempts_from_dnc", "allow_stale_national_list", "max_calls_per_24h")
    list_select_related = ("store",)


@admin.register(CallingRule)
class CallingRuleAdmin(admin.ModelAdmin):
    list_display = ("__str__", "start", "end", "sunday_start", "no_calls_on_sunday", "no_calls_on_holidays",
                    "max_calls_per_24h")
    list_filter = ("country",)


@admin.register(DncList)
class DncListAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "region", "is_active", "version", "entry_count", "last_full_import_at")
    readonly_fields = ("version", "entry_count", "last_full_import_at", "last_import_at", "created_at")


@admin.register(DncImport)
class DncImportAdmin(ReadOnlyAdmin):
    list_display = ("pk", "dnc_list", "mode", "file_name", "status", "numbers_loaded", "lines_rejected", "created_at")
    list_filter = ("status", "mode", "dnc_list")


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "from_number", "intent", "store", "message_sid")
    list_filter = ("intent",)
    search_fields = ("from_number", "message_sid")


@admin.register(OptOut)
class OptOutAdmin(admin.ModelAdmin):
    """Admins may record an opt-out by hand; existing rows cannot change."""

    list_display = ("phone", "email", "scope", "action", "source", "store", "at")
    list_filter = ("scope", "action", "source")
    search_fields = ("phone", "email")

    def has_change_permission(self, request, obj=None):
        return obj is None or request.method in ("GET", "HEAD")

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ReadOnlyAdmin):
    list_display = ("phone", "email", "channel", "basis", "granted", "source", "store", "at")
    list_filter = ("channel", "basis", "granted", "source")
    search_fields = ("phone", "email")


@admin.register(ContactDecision)
class ContactDecisionAdmin(ReadOnlyAdmin):
    list_display = ("at", "requester", "store", "phone", "email", "channel", "allowed", "reasons")
    list_filter = ("allowed", "channel", "store")
    search_fields = ("phone", "email", "requester")
    date_hierarchy = "at"


@admin.register(ContactAttempt)
class ContactAttemptAdmin(ReadOnlyAdmin):
    list_display = ("at", "store", "channel", "phone", "email", "agent", "outcome", "duration_seconds")
    list_filter = ("channel", "outcome", "store")
    search_fields = ("phone", "email", "provider_id")


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(ReadOnlyAdmin):
    """Erasures, data requests and retention runs as they were handled; data requests are exported here."""

    list_display = ("at", "kind", "source", "store", "requested_by", "counts", "completed_at")
    list_filter = ("kind", "source", "store")
    date_hierarchy = "at"
    actions = ["export_customer_data"]

    @admin.action(description="Export the customers' data (JSON)")
    def export_customer_data(self, request, queryset):
        exports = [customer_data_export(row) for row in queryset.filter(kind=PrivacyRequest.Kind.DATA_REQUEST)
                   .select_related("store")]
        logger.info("User %s exported the data of %d data requests", request.user.pk, len(exports))
        audit_export(request, what=f"the personal data of {len(exports)} data requests (JSON)", rows=len(exports))
        response = HttpResponse(json.dumps(exports, indent=2), content_type="application/json")
        response["Content-Disposition"] = 'attachment; filename="customer-data.json"'
        return response


@admin.register(Suppression)
class SuppressionAdmin(ReadOnlyAdmin):
    """Keyed hashes of erased people who must never be contacted again: nothing here can be read back."""

    list_display = ("digest", "scope", "reason", "request", "created_at")
    list_filter = ("scope", "reason")
    search_fields = ("digest",)


@admin.register(LegalHold)
class LegalHoldAdmin(ReadOnlyAdmin):
    """Records kept after an erasure because the law requires it, with until when and why."""

    list_display = ("record_type", "record_id", "retained_until", "reason", "released_at", "request")
    list_filter = ("record_type", "released_at")
    date_hierarchy = "retained_until"
@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_name", "action", "subject_type", "subject_id", "summary")
    list_filter = ("action", "subject_type")
    search_fields = ("actor_name", "summary", "subject_id")
