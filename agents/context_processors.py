from core.access import ADMIN, SUPERVISOR, user_roles


def roles(request) -> dict:
    held = user_roles(getattr(request, "user", None))
    return {"user_roles": held, "can_supervise": bool(held & {SUPERVISOR, ADMIN})}
