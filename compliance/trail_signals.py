"""The model changes the audit trail records, wherever they are made (the admin, a form, a command, a worker).

Each audited model names the fields that matter (None: all but bookkeeping); a save that changes none of them
(an agent's status, a list's row count during an import) is not an event. Secrets are recorded as changed, never
with their values. Consent records the product takes from checkouts are not repeated here: the consent table is
itself append-only and says where each record came from; a consent or opt-out recorded by a person is.
"""

from __future__ import annotations

from django.apps import apps
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from compliance.services.trail import audit_record, current_actor

# "app.Model": (what it is called, the fields that matter or None for all but bookkeeping)
AUDITED: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "recovery.Store": ("store", None),
    "compliance.CompliancePolicy": ("compliance policy", None),
    "compliance.CallingRule": ("calling rule", None),
    "compliance.DncList": ("DNC list", ("name", "kind", "region", "is_active", "last_full_import_at")),
    "compliance.DncImport": ("DNC import", ("dnc_list_id", "mode", "status", "replace_confirmed")),
    "compliance.OptOut": ("opt-out", None),
    "compliance.ConsentRecord": ("consent", None),
    "agents.AgentProfile": ("agent profile", ("languages", "max_attempts_per_hour", "hourly_cost")),
}
BOOKKEEPING = {"id", "created_at", "updated_at", "recorded_at", "status_since"}
SECRET_WORDS = ("secret", "token", "password")
_BEFORE = "_audit_before"


def _label(model) -> str:
    return AUDITED[model._meta.label][0]


def _fields(model) -> list[str]:
    named = AUDITED[model._meta.label][1]
    if named is not None:
        return list(named)
    return [field.attname for field in model._meta.concrete_fields if field.attname not in BOOKKEEPING
            and not getattr(field, "auto_now", False) and not getattr(field, "auto_now_add", False)]


def _value(instance, attname: str) -> object:
    value = getattr(instance, attname, None)  # attnames only: a foreign key is its id, never a query
    if any(word in attname for word in SECRET_WORDS):
        return "(set)" if value else "(empty)"
    return value


def _snapshot(instance) -> dict[str, object]:
    return {attname: _value(instance, attname) for attname in _fields(type(instance))}


def _is_system_consent(instance) -> bool:
    return instance._meta.label == "compliance.ConsentRecord" and current_actor().user_id is None


def _untouched(sender, update_fields) -> bool:
    """A save of named fields, none of them audited (an agent's status): no snapshot read, nothing recorded."""
    if update_fields is None:
        return False
    audited = set(_fields(sender))
    names = {field.name for field in sender._meta.concrete_fields if field.attname in audited} | audited
    return not set(update_fields) & names


def remember_before(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    if raw or instance.pk is None or _untouched(sender, update_fields):
        return
    before = sender._default_manager.filter(pk=instance.pk).first()
    setattr(instance, _BEFORE, _snapshot(before) if before is not None else None)


def record_save(sender, instance, created, raw=False, update_fields=None, **kwargs) -> None:
    if raw or _is_system_consent(instance) or (not created and _untouched(sender, update_fields)):
        return
    after = _snapshot(instance)
    before = getattr(instance, _BEFORE, None)
    if created or before is None:
        summary = f"Created {_label(sender)} {instance}"
        audit_record(action="created", subject_type=_label(sender), subject_id=instance.pk, summary=summary)
        return
    changes = {name: (before[name], after[name]) for name in after if before.get(name) != after[name]}
    if changes:
        audit_record(action="changed", subject_type=_label(sender), subject_id=instance.pk,
                     summary=f"Changed {_label(sender)} {instance}: {', '.join(sorted(changes))}", changes=changes)


def record_delete(sender, instance, **kwargs) -> None:
    audit_record(action="deleted", subject_type=_label(sender), subject_id=instance.pk,
                 summary=f"Deleted {_label(sender)} {instance}")


def record_roles(sender, instance, action, pk_set, model, reverse=False, **kwargs) -> None:
    """A user's roles (groups) changed, from either side of the relation."""
    if action not in ("post_add", "post_remove", "post_clear") or reverse:
        return
    names = sorted(model._default_manager.filter(pk__in=pk_set or ()).values_list("name", flat=True))
    if action != "post_clear" and not names:
        return  # the roles were there already: nothing changed
    verb = {"post_add": "Gave", "post_remove": "Took", "post_clear": "Cleared"}[action]
    what = "every role" if action == "post_clear" else ", ".join(names)
    audit_record(action="changed", subject_type="user roles", subject_id=instance.pk,
                 summary=f"{verb} {what} {'to' if action == 'post_add' else 'from'} {instance.get_username()}")


def record_profile_stores(sender, instance, action, pk_set, model, reverse=False, **kwargs) -> None:
    """The stores an agent calls for or a supervisor sees: who gets to see which customers."""
    if action not in ("post_add", "post_remove", "post_clear") or reverse:
        return
    names = sorted(str(store) for store in model._default_manager.filter(pk__in=pk_set or ()))
    if action != "post_clear" and not names:
        return
    what = {"post_add": f"Added {', '.join(names)} to", "post_remove": f"Removed {', '.join(names)} from",
            "post_clear": "Cleared"}[action]
    audit_record(action="changed", subject_type="agent profile", subject_id=instance.pk,
                 summary=f"{what} the stores of {instance.user.get_username()}",
                 changes={"stores": ("", ", ".join(names)) if action == "post_add" else (", ".join(names), "")})


def connect() -> None:
    """Called from ComplianceConfig.ready()."""
    from django.contrib.auth import get_user_model

    for label in AUDITED:
        model = apps.get_model(label)
        pre_save.connect(remember_before, sender=model, dispatch_uid=f"audit-before-{label}")
        post_save.connect(record_save, sender=model, dispatch_uid=f"audit-save-{label}")
        post_delete.connect(record_delete, sender=model, dispatch_uid=f"audit-delete-{label}")
    m2m_changed.connect(record_roles, sender=get_user_model().groups.through, dispatch_uid="audit-roles")
    m2m_changed.connect(record_profile_stores, sender=apps.get_model("agents.AgentProfile").stores.through,
                        dispatch_uid="audit-profile-stores")
